package dev.convoy.transforms.convert.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.SparseTensorProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Builds a Convoy {@link Graph} from an ONNX {@code GraphProto} (after function inlining).
 *
 * <p>Names are resolved through lexical scopes: a subgraph node may read a value of any enclosing
 * graph by name, and an inner definition hides an outer one. Because Convoy keeps value names
 * unique across the whole tree, a subgraph value whose name is also defined in another scope
 * (sibling If branches often reuse names) gets a fresh name; top-level names never change. Nodes
 * are topologically sorted per graph (keeping file order when it is already valid), counting the
 * values a node's subgraphs capture as its inputs. A cycle, a value defined twice in one graph and
 * a name that is never defined are errors naming the node and value.
 */
final class GraphReader {
  private final ExternalData external;
  private final Map<String, Integer> definitions = new HashMap<>();
  private final Set<String> allNames = new HashSet<>();

  private GraphReader(ExternalData external) {
    this.external = external;
  }

  /** Reads {@code proto} into the empty top-level graph {@code into}. */
  static void read(GraphProto proto, Graph into, ExternalData external) {
    GraphReader r = new GraphReader(external);
    r.survey(proto);
    r.readScope(proto, into, null);
  }

  /** Counts, per name, the graphs defining it, and collects every name the model mentions. */
  private void survey(GraphProto g) {
    Set<String> defined = new HashSet<>();
    g.getInputList().forEach(v -> defined.add(v.getName()));
    g.getInitializerList().forEach(t -> defined.add(t.getName()));
    g.getSparseInitializerList().forEach(s -> defined.add(s.getValues().getName()));
    for (NodeProto n : g.getNodeList()) {
      n.getOutputList().forEach(defined::add);
      allNames.addAll(n.getInputList());
      for (AttributeProto a : n.getAttributeList()) {
        if (a.hasG()) {
          survey(a.getG());
        }
        a.getGraphsList().forEach(this::survey);
      }
    }
    g.getOutputList().forEach(v -> allNames.add(v.getName()));
    defined.remove("");
    allNames.addAll(defined);
    defined.forEach(name -> definitions.merge(name, 1, Integer::sum));
  }

  /** Values visible in one graph: its own definitions by original name, then the enclosing scope. */
  private static final class Scope {
    final Scope parent;
    final String where;
    final Map<String, Value> values = new HashMap<>();

    Scope(Scope parent, String where) {
      this.parent = parent;
      this.where = where;
    }

    Value resolve(String name) {
      for (Scope s = this; s != null; s = s.parent) {
        Value v = s.values.get(name);
        if (v != null) {
          return v;
        }
      }
      return null;
    }
  }

  private void readScope(GraphProto gp, Graph g, Scope parent) {
    String where = parent == null
        ? (gp.getName().isEmpty() ? "main graph" : "graph '" + gp.getName() + "'")
        : parent.where + " > subgraph '" + gp.getName() + "'";
    Scope s = new Scope(parent, where);
    g.setName(gp.getName());
    g.setDocString(gp.getDocString());

    Set<String> initializerNames = new HashSet<>();
    gp.getInitializerList().forEach(t -> initializerNames.add(t.getName()));
    gp.getSparseInitializerList().forEach(t -> initializerNames.add(t.getValues().getName()));
    for (ValueInfoProto vi : gp.getInputList()) {
      // IR < 4 lists initializers among the inputs too; they are constants, not inputs.
      if (initializerNames.contains(vi.getName())) {
        continue;
      }
      checkNew(s, vi.getName(), "graph input");
      ValueType type = type(s, vi);
      Value v = g.addInput(finalName(vi.getName(), parent), type);
      v.setDocString(vi.getDocString());
      s.values.put(vi.getName(), v);
    }
    for (TensorProto t : gp.getInitializerList()) {
      checkNew(s, t.getName(), "initializer");
      Tensor tensor = inContext(where + ": initializer '" + t.getName() + "'",
          () -> OnnxTensors.read(t, external));
      Value v = g.addInitializer(finalName(t.getName(), parent), tensor);
      v.setDocString(t.getDocString());
      s.values.put(t.getName(), v);
    }
    for (SparseTensorProto sp : gp.getSparseInitializerList()) {
      String name = sp.getValues().getName();
      checkNew(s, name, "sparse initializer");
      Tensor dense = inContext(where + ": sparse initializer '" + name + "'",
          () -> OnnxTensors.densify(sp, external));
      s.values.put(name, g.addInitializer(finalName(name, parent), dense));
    }

    Map<String, ValueInfoProto> declared = new HashMap<>();
    gp.getValueInfoList().forEach(vi -> declared.putIfAbsent(vi.getName(), vi));
    // A graph output's own declaration wins over value_info.
    gp.getOutputList().forEach(vi -> declared.put(vi.getName(), vi));

    for (NodeProto np : sortedNodes(gp, s)) {
      readNode(np, g, s, parent, declared);
    }
    for (ValueInfoProto vi : gp.getOutputList()) {
      Value v = s.resolve(vi.getName());
      if (v == null) {
        throw new InvalidModelException(where + ": graph output '" + vi.getName() + "' is never defined");
      }
      g.addOutput(v);
    }
  }

  private void readNode(
      NodeProto np, Graph g, Scope s, Scope parent, Map<String, ValueInfoProto> declared) {
    String label = s.where + ": " + label(np);
    Map<String, Attribute> attributes = new TreeMap<>();
    for (AttributeProto a : np.getAttributeList()) {
      attributes.put(a.getName(), attribute(a, g, s, label + " attribute '" + a.getName() + "'"));
    }
    List<Value> inputs = new ArrayList<>(np.getInputCount());
    for (String in : np.getInputList()) {
      if (in.isEmpty()) {
        inputs.add(null);
        continue;
      }
      Value v = s.resolve(in);
      if (v == null) {
        throw new InvalidModelException(label + " input '" + in + "' is never defined");
      }
      inputs.add(v);
    }
    List<String> outputs = new ArrayList<>(np.getOutputCount());
    for (String out : np.getOutputList()) {
      outputs.add(out.isEmpty() ? null : finalName(out, parent));
    }
    String domain = np.getDomain().equals("ai.onnx") ? "" : np.getDomain();
    Node n = g.addNode(domain, np.getOpType(), inputs, outputs, attributes);
    n.setName(np.getName());
    n.setDocString(np.getDocString());
    for (int i = 0; i < np.getOutputCount(); i++) {
      String out = np.getOutput(i);
      if (out.isEmpty()) {
        continue;
      }
      Value v = n.output(i);
      ValueInfoProto vi = declared.get(out);
      if (vi != null) {
        v.setType(type(s, vi));
        v.setDocString(vi.getDocString());
      }
      s.values.put(out, v);
    }
  }

  private Attribute attribute(AttributeProto a, Graph g, Scope s, String where) {
    if (a.hasRefAttrName() && !a.getRefAttrName().isEmpty()) {
      throw new InvalidModelException(
          where + " refers to attribute '" + a.getRefAttrName() + "' outside a function");
    }
    AttributeProto.AttributeType kind = kind(a, where);
    // Subgraph errors carry their own scope path; the rest get the attribute as context.
    if (kind == AttributeProto.AttributeType.GRAPH) {
      return new Attribute.GraphAttr(subgraph(a.getG(), g, s));
    }
    if (kind == AttributeProto.AttributeType.GRAPHS) {
      return new Attribute.GraphsAttr(
          a.getGraphsList().stream().map(sub -> subgraph(sub, g, s)).toList());
    }
    return inContext(where, () -> switch (kind) {
      case FLOAT -> new Attribute.FloatAttr(a.getF());
      case INT -> new Attribute.IntAttr(a.getI());
      case STRING -> new Attribute.StringAttr(a.getS().toByteArray());
      case TENSOR -> new Attribute.TensorAttr(OnnxTensors.read(a.getT(), external));
      case SPARSE_TENSOR -> OnnxTensors.sparseFromProto(a.getSparseTensor(), external);
      case TYPE_PROTO -> new Attribute.TypeAttr(typeValue(a.getTp(), a.getName(), where));
      case FLOATS -> {
        float[] f = new float[a.getFloatsCount()];
        for (int i = 0; i < f.length; i++) {
          f[i] = a.getFloats(i);
        }
        yield new Attribute.FloatsAttr(f);
      }
      case INTS -> new Attribute.IntsAttr(a.getIntsList().stream().mapToLong(Long::longValue).toArray());
      case STRINGS -> new Attribute.StringsAttr(
          a.getStringsList().stream().map(com.google.protobuf.ByteString::toByteArray).toList());
      case TENSORS -> new Attribute.TensorsAttr(
          a.getTensorsList().stream().map(t -> OnnxTensors.read(t, external)).toList());
      case SPARSE_TENSORS -> new Attribute.SparseTensorsAttr(
          a.getSparseTensorsList().stream()
              .map(t -> OnnxTensors.sparseFromProto(t, external)).toList());
      case TYPE_PROTOS -> {
        List<ValueType> types = new ArrayList<>();
        for (TypeProto t : a.getTypeProtosList()) {
          types.add(typeValue(t, a.getName(), where));
        }
        yield new Attribute.TypesAttr(types);
      }
      default -> throw new InvalidModelException(where + " has no value");
    });
  }

  /** A type an attribute holds: unlike a value's declared type, it cannot be left unknown. */
  private static ValueType typeValue(TypeProto t, String name, String where) {
    ValueType type = OnnxTypes.fromProto(t, name);
    if (type == null) {
      throw new InvalidModelException(where + " holds a type with no element type");
    }
    return type;
  }

  /** The attribute's kind; files from old writers leave {@code type} unset. */
  private static AttributeProto.AttributeType kind(AttributeProto a, String where) {
    if (a.getType() != AttributeProto.AttributeType.UNDEFINED) {
      return a.getType();
    }
    if (a.hasF()) {
      return AttributeProto.AttributeType.FLOAT;
    } else if (a.hasI()) {
      return AttributeProto.AttributeType.INT;
    } else if (a.hasS()) {
      return AttributeProto.AttributeType.STRING;
    } else if (a.hasT()) {
      return AttributeProto.AttributeType.TENSOR;
    } else if (a.hasG()) {
      return AttributeProto.AttributeType.GRAPH;
    } else if (a.hasSparseTensor()) {
      return AttributeProto.AttributeType.SPARSE_TENSOR;
    } else if (a.hasTp()) {
      return AttributeProto.AttributeType.TYPE_PROTO;
    } else if (a.getFloatsCount() > 0) {
      return AttributeProto.AttributeType.FLOATS;
    } else if (a.getIntsCount() > 0) {
      return AttributeProto.AttributeType.INTS;
    } else if (a.getStringsCount() > 0) {
      return AttributeProto.AttributeType.STRINGS;
    } else if (a.getTensorsCount() > 0) {
      return AttributeProto.AttributeType.TENSORS;
    } else if (a.getGraphsCount() > 0) {
      return AttributeProto.AttributeType.GRAPHS;
    }
    throw new InvalidModelException(where + " has neither a type nor a value");
  }

  private Graph subgraph(GraphProto sub, Graph g, Scope s) {
    Graph child = g.newSubgraph(sub.getName());
    readScope(sub, child, s);
    return child;
  }

  private ValueType type(Scope s, ValueInfoProto vi) {
    if (!vi.hasType()) {
      return null;
    }
    return inContext(s.where + ": value '" + vi.getName() + "'",
        () -> OnnxTypes.fromProto(vi.getType(), vi.getName()));
  }

  private static void checkNew(Scope s, String name, String what) {
    if (name.isEmpty()) {
      throw new InvalidModelException(s.where + ": a " + what + " has an empty name");
    }
    if (s.values.containsKey(name)) {
      throw new InvalidModelException(s.where + ": value '" + name + "' is defined more than once");
    }
  }

  /** The IR name of a definition: its own at top level, a fresh one for a name shared by scopes. */
  private String finalName(String name, Scope parent) {
    if (parent == null || definitions.getOrDefault(name, 0) <= 1) {
      return name;
    }
    String candidate;
    int i = 0;
    do {
      candidate = name + "__" + (++i);
    } while (allNames.contains(candidate));
    allNames.add(candidate);
    return candidate;
  }

  // ---- topological order ----

  /**
   * The nodes of {@code gp} in an order where every value is defined before it is read, keeping
   * file order wherever it already is (smallest file index first among ready nodes).
   */
  private List<NodeProto> sortedNodes(GraphProto gp, Scope s) {
    List<NodeProto> nodes = gp.getNodeList();
    Map<String, Integer> producer = new HashMap<>();
    for (int i = 0; i < nodes.size(); i++) {
      for (String out : nodes.get(i).getOutputList()) {
        if (out.isEmpty()) {
          continue;
        }
        if (producer.putIfAbsent(out, i) != null || s.values.containsKey(out)) {
          throw new InvalidModelException(
              s.where + ": value '" + out + "' is defined more than once (again by "
                  + label(nodes.get(i)) + ")");
        }
      }
    }
    List<List<Integer>> deps = new ArrayList<>(nodes.size());
    boolean inOrder = true;
    for (int i = 0; i < nodes.size(); i++) {
      NodeProto n = nodes.get(i);
      List<Integer> d = new ArrayList<>();
      for (String in : n.getInputList()) {
        if (in.isEmpty()) {
          continue;
        }
        Integer p = producer.get(in);
        if (p == null && s.resolve(in) == null) {
          throw new InvalidModelException(
              s.where + ": " + label(n) + " input '" + in + "' is never defined");
        }
        if (p != null) {
          d.add(p);
        }
      }
      for (String captured : capturedNames(n)) {
        Integer p = producer.get(captured);
        if (p != null) {
          d.add(p);
        }
      }
      for (int p : d) {
        inOrder &= p < i;
      }
      deps.add(d);
    }
    if (inOrder) {
      return nodes;
    }
    int[] waiting = new int[nodes.size()];
    List<List<Integer>> dependents = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      dependents.add(new ArrayList<>());
    }
    for (int i = 0; i < nodes.size(); i++) {
      for (int p : deps.get(i)) {
        waiting[i]++;
        dependents.get(p).add(i);
      }
    }
    PriorityQueue<Integer> ready = new PriorityQueue<>();
    for (int i = 0; i < nodes.size(); i++) {
      if (waiting[i] == 0) {
        ready.add(i);
      }
    }
    List<NodeProto> order = new ArrayList<>(nodes.size());
    boolean[] placed = new boolean[nodes.size()];
    while (!ready.isEmpty()) {
      int i = ready.poll();
      placed[i] = true;
      order.add(nodes.get(i));
      for (int j : dependents.get(i)) {
        if (--waiting[j] == 0) {
          ready.add(j);
        }
      }
    }
    if (order.size() < nodes.size()) {
      throw new InvalidModelException(s.where + ": the nodes form a cycle: " + cycle(nodes, deps, placed));
    }
    return order;
  }

  /** One cycle among the nodes not placed, as "a -> b -> a". */
  private static String cycle(List<NodeProto> nodes, List<List<Integer>> deps, boolean[] placed) {
    int start = 0;
    while (placed[start]) {
      start++;
    }
    List<Integer> path = new ArrayList<>();
    Map<Integer, Integer> seenAt = new HashMap<>();
    int at = start;
    while (!seenAt.containsKey(at)) {
      seenAt.put(at, path.size());
      path.add(at);
      int next = -1;
      for (int p : deps.get(at)) {
        if (!placed[p]) {
          next = p;
          break;
        }
      }
      at = next;
    }
    List<Integer> loop = new ArrayList<>(path.subList(seenAt.get(at), path.size()));
    java.util.Collections.reverse(loop);
    StringBuilder sb = new StringBuilder();
    for (int i : loop) {
      sb.append(label(nodes.get(i))).append(" -> ");
    }
    return sb.append(label(nodes.get(loop.get(0)))).toString();
  }

  /** Names a node's subgraphs read from enclosing graphs. */
  private static Set<String> capturedNames(NodeProto n) {
    Set<String> free = new HashSet<>();
    for (AttributeProto a : n.getAttributeList()) {
      if (a.hasG()) {
        free.addAll(freeNames(a.getG()));
      }
      a.getGraphsList().forEach(g -> free.addAll(freeNames(g)));
    }
    return free;
  }

  private static Set<String> freeNames(GraphProto g) {
    Set<String> defined = new HashSet<>();
    g.getInputList().forEach(v -> defined.add(v.getName()));
    g.getInitializerList().forEach(t -> defined.add(t.getName()));
    g.getSparseInitializerList().forEach(t -> defined.add(t.getValues().getName()));
    Set<String> used = new HashSet<>();
    for (NodeProto n : g.getNodeList()) {
      defined.addAll(n.getOutputList());
      used.addAll(n.getInputList());
      used.addAll(capturedNames(n));
    }
    g.getOutputList().forEach(v -> used.add(v.getName()));
    used.removeAll(defined);
    used.remove("");
    return used;
  }

  static String label(NodeProto n) {
    String op = n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx")
        ? n.getOpType() : n.getDomain() + "::" + n.getOpType();
    if (!n.getName().isEmpty()) {
      return "node '" + n.getName() + "' (" + op + ")";
    }
    return op + " node" + (n.getOutputCount() > 0 ? " producing '" + n.getOutput(0) + "'" : "");
  }

  /** Runs {@code body}, prefixing the message of a model error with {@code where}. */
  private static <T> T inContext(String where, Supplier<T> body) {
    try {
      return body.get();
    } catch (UnsupportedOpException e) {
      throw new UnsupportedOpException(where + ": " + e.getMessage());
    } catch (InvalidModelException e) {
      throw e.getMessage().startsWith(where) ? e : new InvalidModelException(where + ": " + e.getMessage(), e);
    }
  }
}
