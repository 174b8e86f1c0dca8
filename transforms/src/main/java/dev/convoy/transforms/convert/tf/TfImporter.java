package dev.convoy.transforms.convert.tf;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.transforms.convert.ProtoFiles;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.ModelInfo;
import dev.convoy.ir.graph.Value;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

/**
 * Reads a frozen TensorFlow {@code GraphDef} ({@code .pb}, variables already folded into
 * constants) into Convoy's graph IR as standard ONNX ops at opset 13.
 *
 * <p>Values keep TensorFlow's layout: an op TensorFlow computes in NHWC becomes the NCHW ONNX op
 * between two explicit Transposes, which the optimizer cancels between neighbours. Placeholders
 * are the inputs (unknown sizes become symbols, the first one {@code N}); the outputs are the
 * tensors no node consumes, or those named by the caller. A graph holding variables is refused
 * as unfrozen; an op the importer does not read is an error naming op and node.
 */
public final class TfImporter {
  /** Ops that hold or read variables: their presence means the graph was not frozen. */
  private static final Set<String> VARIABLE_OPS = Set.of("VariableV2", "Variable", "VarHandleOp",
      "ReadVariableOp", "AssignVariableOp", "Assign", "VarIsInitializedOp", "ResourceGather");

  private TfImporter() {}

  /** Imports a frozen GraphDef file; its outputs are the tensors no node consumes. */
  public static Graph importFile(Path file) {
    return importFile(file, List.of());
  }

  /**
   * Imports a frozen GraphDef file; {@code outputs} names the output tensors ({@code node} or
   * {@code node:K}); empty means the tensors no node consumes.
   */
  public static Graph importFile(Path file, List<String> outputs) {
    GraphDef def = ProtoFiles.read(file, GraphDef.parser(), "TensorFlow GraphDef");
    return importGraphDef(def, file.toString(), outputs);
  }

  /** Imports a GraphDef held in memory; {@code source} names it in errors. */
  public static Graph importGraphDef(GraphDef def, String source, List<String> outputs) {
    if (def.getNodeCount() == 0) {
      throw new InvalidModelException(source + ": not a valid TensorFlow GraphDef (no nodes)");
    }
    for (NodeDef n : def.getNodeList()) {
      if (VARIABLE_OPS.contains(n.getOp())) {
        throw new InvalidModelException(source + ": not a frozen graph: node '" + n.getName()
            + "' is a variable (" + n.getOp() + "); freeze the graph (variables into constants)"
            + " before converting it");
      }
    }
    try {
      return build(def, source, outputs);
    } catch (UnsupportedOpException e) {
      throw new UnsupportedOpException(source + ": " + e.getMessage());
    } catch (InvalidModelException e) {
      throw new InvalidModelException(source + ": " + e.getMessage(), e);
    } catch (ConvoyException e) {
      throw e;
    } catch (IllegalArgumentException | IllegalStateException | ArithmeticException
        | IndexOutOfBoundsException e) {
      throw new InvalidModelException(source + ": not a valid TensorFlow GraphDef ("
          + e.getMessage() + ")", e);
    }
  }

  private static Graph build(GraphDef def, String source, List<String> wanted) {
    TfOps ops = new TfOps();
    Graph g = ops.graph();
    g.setInfo(new ModelInfo(ModelInfo.DEFAULT.irVersion(), "tensorflow", "", "", 0, ""));
    g.setName("tensorflow");
    g.opsets().putAll(TfOps.OPSETS);
    List<NodeDef> order = topologicalOrder(def);
    Set<String> consumed = new HashSet<>();
    for (NodeDef n : order) {
      for (String in : n.getInputList()) {
        if (!in.startsWith("^")) {
          consumed.add(TfOps.canonical(in));
        }
      }
    }
    for (NodeDef n : order) {
      ops.convert(n);
    }
    List<String> outputs = new ArrayList<>();
    if (wanted.isEmpty()) {
      for (NodeDef n : order) {
        if (TfOps.producesOutputs(n.getOp()) && !consumed.contains(TfOps.canonical(n.getName()))) {
          outputs.add(n.getName());
        }
      }
    } else {
      outputs.addAll(wanted);
    }
    if (outputs.isEmpty()) {
      throw new InvalidModelException("no output: every tensor is consumed by another node");
    }
    for (String name : outputs) {
      Value v = ops.tensor(name, "the graph outputs");
      String want = name.endsWith(":0") ? name.substring(0, name.length() - 2) : name;
      if (!v.name().equals(want) && !v.isGraphInput() && !v.isInitializer()
          && !g.isNameTaken(want)) {
        v.rename(want);
      }
      g.addOutput(v);
    }
    return g;
  }

  /** The nodes with every node after its (data and control) inputs; a cycle is an error. */
  private static List<NodeDef> topologicalOrder(GraphDef def) {
    Map<String, NodeDef> byName = new LinkedHashMap<>();
    for (NodeDef n : def.getNodeList()) {
      if (byName.put(n.getName(), n) != null) {
        throw new InvalidModelException("two nodes are named '" + n.getName() + "'");
      }
    }
    Map<String, Integer> pending = new HashMap<>();
    Map<String, List<String>> users = new HashMap<>();
    for (NodeDef n : def.getNodeList()) {
      int count = 0;
      for (String in : n.getInputList()) {
        String producer = TfOps.producer(in);
        if (!byName.containsKey(producer)) {
          throw new InvalidModelException("node '" + n.getName() + "' reads '" + in
              + "', which no node produces");
        }
        users.computeIfAbsent(producer, k -> new ArrayList<>()).add(n.getName());
        count++;
      }
      pending.put(n.getName(), count);
    }
    ArrayDeque<String> ready = new ArrayDeque<>();
    for (NodeDef n : def.getNodeList()) {
      if (pending.get(n.getName()) == 0) {
        ready.add(n.getName());
      }
    }
    List<NodeDef> out = new ArrayList<>();
    while (!ready.isEmpty()) {
      String name = ready.poll();
      out.add(byName.get(name));
      for (String u : users.getOrDefault(name, List.of())) {
        if (pending.merge(u, -1, Integer::sum) == 0) {
          ready.add(u);
        }
      }
    }
    if (out.size() != byName.size()) {
      throw new InvalidModelException("the graph has a cycle (control flow is not supported)");
    }
    return out;
  }
}
