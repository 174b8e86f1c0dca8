package dev.convoy.transforms.convert.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.FunctionProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.SparseTensorProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.convoy.ir.InvalidModelException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Inlines model-local functions ({@code ModelProto.functions}) at the protobuf level, before the
 * graph is built: each node whose (domain, op type, overload) names a local function is replaced
 * by the function's body, with formal inputs and outputs bound to the call's values, every other
 * name made fresh, and attribute references ({@code ref_attr_name}) replaced by the call's
 * attribute or the function's default. Calls inside bodies and inside subgraphs are inlined too;
 * a function that (directly or not) calls itself is an error.
 */
final class FunctionInliner {
  private final Map<String, FunctionProto> functions = new HashMap<>();
  private final Set<String> usedNames = new HashSet<>();
  private final Map<String, Long> opsets;
  private int calls;

  private FunctionInliner(ModelProto model, Map<String, Long> opsets) {
    this.opsets = opsets;
    for (FunctionProto f : model.getFunctionsList()) {
      functions.put(key(f.getDomain(), f.getName(), f.getOverload()), f);
      for (NodeProto n : f.getNodeList()) {
        collectNames(n);
      }
    }
    collectNames(model.getGraph());
  }

  /**
   * The model's graph with every local-function call inlined. Opset imports that the inlined
   * bodies need and the model lacks are added to {@code opsets}.
   */
  static GraphProto inline(ModelProto model, Map<String, Long> opsets) {
    if (model.getFunctionsCount() == 0) {
      return model.getGraph();
    }
    return new FunctionInliner(model, opsets).rewrite(model.getGraph(), new ArrayDeque<>());
  }

  private static String key(String domain, String name, String overload) {
    String d = domain.equals("ai.onnx") ? "" : domain;
    return d + "\u0000" + name + "\u0000" + overload;
  }

  private GraphProto rewrite(GraphProto g, Deque<String> stack) {
    GraphProto.Builder b = g.toBuilder().clearNode();
    for (NodeProto n : g.getNodeList()) {
      for (NodeProto m : expand(rewriteSubgraphs(n, stack), stack)) {
        b.addNode(m);
      }
    }
    return b.build();
  }

  private NodeProto rewriteSubgraphs(NodeProto n, Deque<String> stack) {
    boolean any = n.getAttributeList().stream()
        .anyMatch(a -> a.hasG() || a.getGraphsCount() > 0);
    if (!any) {
      return n;
    }
    NodeProto.Builder nb = n.toBuilder().clearAttribute();
    for (AttributeProto a : n.getAttributeList()) {
      AttributeProto.Builder ab = a.toBuilder();
      if (a.hasG()) {
        ab.setG(rewrite(a.getG(), stack));
      }
      if (a.getGraphsCount() > 0) {
        ab.clearGraphs();
        for (GraphProto sub : a.getGraphsList()) {
          ab.addGraphs(rewrite(sub, stack));
        }
      }
      nb.addAttribute(ab);
    }
    return nb.build();
  }

  private List<NodeProto> expand(NodeProto call, Deque<String> stack) {
    String k = key(call.getDomain(), call.getOpType(), call.getOverload());
    FunctionProto f = functions.get(k);
    if (f == null) {
      return List.of(call);
    }
    if (stack.contains(k)) {
      throw new InvalidModelException(
          "model-local function " + f.getDomain() + "::" + f.getName() + " calls itself");
    }
    for (OperatorSetIdProto op : f.getOpsetImportList()) {
      String d = op.getDomain().equals("ai.onnx") ? "" : op.getDomain();
      opsets.putIfAbsent(d, op.getVersion());
    }
    String prefix = fresh(call.getName().isEmpty() ? f.getName() + "_" + (++calls) : call.getName());
    Map<String, String> rename = new HashMap<>();
    for (int i = 0; i < f.getInputCount(); i++) {
      rename.put(f.getInput(i), i < call.getInputCount() ? call.getInput(i) : "");
    }
    for (int i = 0; i < f.getOutputCount(); i++) {
      String actual = i < call.getOutputCount() ? call.getOutput(i) : "";
      rename.put(f.getOutput(i), actual.isEmpty() ? fresh(prefix + "/" + f.getOutput(i)) : actual);
    }
    Map<String, AttributeProto> bound = new HashMap<>();
    for (AttributeProto a : f.getAttributeProtoList()) {
      bound.put(a.getName(), a);
    }
    for (AttributeProto a : call.getAttributeList()) {
      bound.put(a.getName(), a);
    }
    Binding binding = new Binding(prefix, rename, bound);
    stack.push(k);
    List<NodeProto> out = new ArrayList<>();
    for (NodeProto body : f.getNodeList()) {
      NodeProto inst = binding.node(body);
      out.addAll(expand(rewriteSubgraphs(inst, stack), stack));
    }
    stack.pop();
    return out;
  }

  private String fresh(String base) {
    String name = base;
    int i = 0;
    while (usedNames.contains(name)) {
      name = base + "_" + (++i);
    }
    usedNames.add(name);
    return name;
  }

  private void collectNames(GraphProto g) {
    g.getInputList().forEach(v -> usedNames.add(v.getName()));
    g.getOutputList().forEach(v -> usedNames.add(v.getName()));
    g.getInitializerList().forEach(t -> usedNames.add(t.getName()));
    for (NodeProto n : g.getNodeList()) {
      collectNames(n);
    }
  }

  private void collectNames(NodeProto n) {
    usedNames.addAll(n.getInputList());
    usedNames.addAll(n.getOutputList());
    for (AttributeProto a : n.getAttributeList()) {
      if (a.hasG()) {
        collectNames(a.getG());
      }
      a.getGraphsList().forEach(this::collectNames);
    }
  }

  /** One call's instantiation of a function body: its names and attribute values. */
  private final class Binding {
    private final String prefix;
    private final Map<String, String> names;
    private final Map<String, AttributeProto> attributes;

    Binding(String prefix, Map<String, String> names, Map<String, AttributeProto> attributes) {
      this.prefix = prefix;
      this.names = names;
      this.attributes = attributes;
    }

    private String name(String inner) {
      if (inner.isEmpty()) {
        return inner;
      }
      return names.computeIfAbsent(inner, n -> fresh(prefix + "/" + n));
    }

    NodeProto node(NodeProto body) {
      NodeProto.Builder b = body.toBuilder().clearInput().clearOutput().clearAttribute();
      if (!body.getName().isEmpty()) {
        b.setName(prefix + "/" + body.getName());
      }
      body.getInputList().forEach(n -> b.addInput(name(n)));
      body.getOutputList().forEach(n -> b.addOutput(name(n)));
      for (AttributeProto a : body.getAttributeList()) {
        AttributeProto resolved = attribute(a);
        if (resolved != null) {
          b.addAttribute(resolved);
        }
      }
      return b.build();
    }

    /** {@code a} with references resolved; {@code null} when it refers to an unset attribute. */
    private AttributeProto attribute(AttributeProto a) {
      if (a.hasRefAttrName() && !a.getRefAttrName().isEmpty()) {
        AttributeProto v = attributes.get(a.getRefAttrName());
        return v == null ? null : v.toBuilder().setName(a.getName()).build();
      }
      if (!a.hasG() && a.getGraphsCount() == 0) {
        return a;
      }
      AttributeProto.Builder ab = a.toBuilder();
      if (a.hasG()) {
        ab.setG(graph(a.getG()));
      }
      if (a.getGraphsCount() > 0) {
        ab.clearGraphs();
        a.getGraphsList().forEach(g -> ab.addGraphs(graph(g)));
      }
      return ab.build();
    }

    private GraphProto graph(GraphProto g) {
      GraphProto.Builder b = g.toBuilder()
          .clearInput().clearOutput().clearValueInfo().clearInitializer().clearSparseInitializer()
          .clearNode();
      g.getInputList().forEach(v -> b.addInput(valueInfo(v)));
      g.getOutputList().forEach(v -> b.addOutput(valueInfo(v)));
      g.getValueInfoList().forEach(v -> b.addValueInfo(valueInfo(v)));
      for (TensorProto t : g.getInitializerList()) {
        b.addInitializer(t.toBuilder().setName(name(t.getName())));
      }
      for (SparseTensorProto s : g.getSparseInitializerList()) {
        var vb = s.getValues().toBuilder().setName(name(s.getValues().getName()));
        b.addSparseInitializer(s.toBuilder().setValues(vb));
      }
      g.getNodeList().forEach(n -> b.addNode(node(n)));
      return b.build();
    }

    private ValueInfoProto valueInfo(ValueInfoProto v) {
      return v.toBuilder().setName(name(v.getName())).build();
    }
  }
}
