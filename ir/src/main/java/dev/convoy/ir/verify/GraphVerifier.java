package dev.convoy.ir.verify;

import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Use;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks the structural invariants every pass may rely on and every pass must keep: each value
 * defined exactly once, nodes in topological order (and no cycles), no reference to a value that
 * is not (or no longer) part of the graph or an enclosing one, use lists that match node inputs,
 * subgraph captures that resolve, initializers whose declared type is their tensor's type, and
 * element types that agree where the IR alone says what they must be (If branches, Loop-carried
 * values, Cast, Constant, Identity).
 *
 * <p>It reports every problem, each naming the graph, node and value, rather than stopping at the
 * first; {@link #check} turns them into an {@link InvalidModelException} for callers that must
 * not continue with a broken graph (an importer, or a pass pipeline after each rule).
 */
public final class GraphVerifier {
  private static final int MAX_PROBLEMS_IN_MESSAGE = 10;

  private final List<String> problems = new ArrayList<>();
  /** Uses implied by node inputs, per value, in the order they were seen (values by identity). */
  private final Map<Value, List<Use>> expectedUses = new LinkedHashMap<>();
  private final Deque<Frame> frames = new ArrayDeque<>();
  private final List<Value> definedValues = new ArrayList<>();

  /** One graph being checked: where each local value is defined and which node is current. */
  private static final class Frame {
    final Graph graph;
    final String label;
    /** Position of each local value: -1 for inputs and initializers, else the node index. */
    final Map<Value, Integer> position = new IdentityHashMap<>();
    final Map<String, Value> byName = new HashMap<>();
    int current;
    /** Out-of-order reads: {using node index, defining node index, description}. */
    final List<Object[]> lateReads = new ArrayList<>();

    Frame(Graph graph, String label) {
      this.graph = graph;
      this.label = label;
    }
  }

  private GraphVerifier() {}

  /** Every structural problem of {@code graph} and its subgraphs; empty when it is well formed. */
  public static List<String> verify(Graph graph) {
    var v = new GraphVerifier();
    v.graph(graph, graphLabel(graph, null));
    v.checkUseLists();
    return List.copyOf(v.problems);
  }

  /**
   * Throws an {@link InvalidModelException} naming {@code context} (a file, or the pass that just
   * ran) and the problems found, when there are any.
   */
  public static void check(Graph graph, String context) {
    List<String> found = verify(graph);
    if (found.isEmpty()) {
      return;
    }
    var sb = new StringBuilder(context).append(": invalid graph (").append(found.size())
        .append(found.size() == 1 ? " problem): " : " problems): ");
    for (int i = 0; i < Math.min(found.size(), MAX_PROBLEMS_IN_MESSAGE); i++) {
      sb.append(i > 0 ? "; " : "").append(found.get(i));
    }
    if (found.size() > MAX_PROBLEMS_IN_MESSAGE) {
      sb.append("; and ").append(found.size() - MAX_PROBLEMS_IN_MESSAGE).append(" more");
    }
    throw new InvalidModelException(sb.toString());
  }

  private static String graphLabel(Graph g, String parent) {
    String own = g.name().isEmpty() ? "graph" : "graph '" + g.name() + "'";
    return parent == null ? own : own + " (in " + parent + ")";
  }

  private static String nodeLabel(Node n, int index) {
    String op = n.domain().isEmpty() ? n.opType() : n.domain() + "::" + n.opType();
    return n.name().isEmpty() ? "node #" + index + " (" + op + ")"
        : "node '" + n.name() + "' (" + op + ")";
  }

  private void problem(String where, String what) {
    problems.add(where + ": " + what);
  }

  // ---- one graph ----

  private void graph(Graph g, String label) {
    Frame f = new Frame(g, label);
    definitions(f);
    frames.push(f);
    List<Node> nodes = g.nodes();
    for (int i = 0; i < nodes.size(); i++) {
      f.current = i;
      Node n = nodes.get(i);
      String nl = label + ", " + nodeLabel(n, i);
      for (int k = 0; k < n.inputCount(); k++) {
        Value v = n.input(k);
        if (v != null) {
          expectedUses.computeIfAbsent(v, x -> new ArrayList<>()).add(new Use(n, k));
          reference(v, nl + " input " + k);
        }
      }
      for (Map.Entry<String, Attribute> a : n.attributes().entrySet()) {
        List<Graph> subs = a.getValue() instanceof Attribute.GraphAttr ga ? List.of(ga.value())
            : a.getValue() instanceof Attribute.GraphsAttr gs ? gs.values() : List.of();
        for (Graph sub : subs) {
          if (sub.parentGraph() != g) {
            problem(nl, "attribute " + a.getKey() + " holds a subgraph scoped in another graph");
          }
          graph(sub, graphLabel(sub, "attribute " + a.getKey() + " of " + nl));
        }
      }
      elementTypes(n, nl);
    }
    f.current = nodes.size();
    for (int i = 0; i < g.outputs().size(); i++) {
      Value v = g.outputs().get(i);
      if (v == null) {
        problem(label, "graph output " + i + " is missing");
      } else {
        reference(v, label + " output " + i);
      }
    }
    frames.pop();
    order(f);
  }

  /** Records every local definition; reports duplicates, shadowing and broken back-links. */
  private void definitions(Frame f) {
    Graph g = f.graph;
    Map<String, List<String>> where = new LinkedHashMap<>();
    for (Value v : g.inputs()) {
      define(f, v, -1, "graph input", where);
      if (v.owner() != g || !v.isGraphInput()) {
        problem(f.label, "graph input %" + v.name() + " is not an input value of this graph");
      }
    }
    for (Value v : g.initializers()) {
      define(f, v, -1, "initializer", where);
      initializerType(f, v);
    }
    List<Node> nodes = g.nodes();
    for (int i = 0; i < nodes.size(); i++) {
      Node n = nodes.get(i);
      if (n.graph() != g) {
        problem(f.label, nodeLabel(n, i) + " belongs to another graph");
      }
      for (int k = 0; k < n.outputCount(); k++) {
        Value v = n.output(k);
        if (v == null) {
          continue;
        }
        define(f, v, i, "output " + k + " of " + nodeLabel(n, i), where);
        if (v.producer() != n || v.producerIndex() != k || v.owner() != g) {
          problem(f.label, "%" + v.name() + " is output " + k + " of " + nodeLabel(n, i)
              + " but does not name that node as its producer");
        }
      }
    }
    for (Map.Entry<String, List<String>> e : where.entrySet()) {
      if (e.getValue().size() > 1) {
        problem(f.label, "value %" + e.getKey() + " is defined " + e.getValue().size()
            + " times: " + String.join(", ", e.getValue()));
      }
      for (Frame outer : frames) {
        if (outer.byName.containsKey(e.getKey())) {
          problem(f.label, "value %" + e.getKey() + " shadows a value of enclosing "
              + outer.label);
          break;
        }
      }
    }
  }

  private void define(Frame f, Value v, int position, String what, Map<String, List<String>> w) {
    w.computeIfAbsent(v.name(), x -> new ArrayList<>()).add(what);
    definedValues.add(v);
    f.position.putIfAbsent(v, position);
    f.byName.putIfAbsent(v.name(), v);
  }

  private void initializerType(Frame f, Value v) {
    Tensor t = v.constant();
    if (t == null) {
      problem(f.label, "initializer %" + v.name() + " has no tensor");
    } else if (v.type() == null) {
      problem(f.label, "initializer %" + v.name() + " has no type; its tensor is "
          + t.type());
    } else if (!v.type().equals(t.type())) {
      problem(f.label, "initializer %" + v.name() + " is declared " + v.type()
          + " but its tensor is " + t.type());
    }
  }

  /**
   * A read of {@code v} at the current point: fine when defined earlier in this graph or before
   * the owning node in an enclosing one; out of order when defined later; dangling otherwise.
   */
  private void reference(Value v, String where) {
    for (Frame f : frames) {
      Integer pos = f.position.get(v);
      if (pos == null) {
        continue;
      }
      if (pos >= f.current) {
        Frame inner = frames.peek();
        f.lateReads.add(new Object[] {f.current, pos, where + " reads %" + v.name()
            + (f == inner ? "" : " of enclosing " + f.label) + " before its definition by "
            + nodeLabel(f.graph.nodes().get(pos), pos)});
      }
      return;
    }
    String why;
    Node producer = v.producer();
    if (producer != null && !producer.graph().nodes().contains(producer)) {
      why = "its producer " + producer + " is no longer in the graph";
    } else if (v.isInitializer() && v.owner().initializer(v.name()) != v) {
      why = "it is a removed initializer";
    } else if (v.isGraphInput() && !v.owner().inputs().contains(v)) {
      why = "it is a removed graph input";
    } else {
      why = "it belongs to " + graphLabel(v.owner(), null)
          + ", which is neither this graph nor an enclosing one";
    }
    problem(where, "reads %" + v.name() + ", which is not defined in this graph or an"
        + " enclosing one (" + why + ")");
  }

  /** Reports out-of-order reads, naming a cycle through the nodes where there is one. */
  private void order(Frame f) {
    if (f.lateReads.isEmpty()) {
      return;
    }
    List<Node> nodes = f.graph.nodes();
    // Dependency edges (user -> producer), captures by subgraphs included, for cycle search.
    Map<Integer, Set<Integer>> edges = new HashMap<>();
    for (int i = 0; i < nodes.size(); i++) {
      Set<Integer> deps = new LinkedHashSet<>();
      collectDependencies(nodes.get(i), f, deps);
      edges.put(i, deps);
    }
    List<Integer> cycle = findCycle(edges, nodes.size());
    if (cycle != null) {
      var sb = new StringBuilder("nodes form a cycle (each feeds the next): ");
      for (int i : cycle) {
        sb.append(nodeLabel(nodes.get(i), i)).append(" -> ");
      }
      sb.append(nodeLabel(nodes.get(cycle.get(0)), cycle.get(0)));
      problem(f.label, sb.toString());
    }
    for (Object[] r : f.lateReads) {
      if (cycle == null || !(cycle.contains((Integer) r[0]) && cycle.contains((Integer) r[1]))) {
        problems.add(r[2] + " (nodes are not in topological order)");
      }
    }
  }

  /** Indices of nodes of {@code f} whose outputs {@code n} (or its subgraphs) read. */
  private static void collectDependencies(Node n, Frame f, Set<Integer> deps) {
    for (Value v : n.inputs()) {
      Integer pos = v == null ? null : f.position.get(v);
      if (pos != null && pos >= 0) {
        deps.add(pos);
      }
    }
    for (Graph sub : n.subgraphs()) {
      for (Node inner : sub.nodes()) {
        collectDependencies(inner, f, deps);
      }
      for (Value v : sub.outputs()) {
        Integer pos = v == null ? null : f.position.get(v);
        if (pos != null && pos >= 0) {
          deps.add(pos);
        }
      }
    }
  }

  /** A cycle in the dependency graph as node indices, each feeding the next, or null. */
  private static List<Integer> findCycle(Map<Integer, Set<Integer>> edges, int count) {
    int[] state = new int[count];
    for (int start = 0; start < count; start++) {
      if (state[start] != 0) {
        continue;
      }
      Deque<Integer> path = new ArrayDeque<>();
      Deque<Iterator<Integer>> its = new ArrayDeque<>();
      path.push(start);
      its.push(edges.getOrDefault(start, Set.of()).iterator());
      state[start] = 1;
      while (!path.isEmpty()) {
        var it = its.peek();
        if (!it.hasNext()) {
          state[path.pop()] = 2;
          its.pop();
          continue;
        }
        int next = it.next();
        if (state[next] == 1) {
          List<Integer> cycle = new ArrayList<>();
          for (int node : path) {
            cycle.add(node);
            if (node == next) {
              break;
            }
          }
          return cycle;
        }
        if (state[next] == 0) {
          state[next] = 1;
          path.push(next);
          its.push(edges.getOrDefault(next, Set.of()).iterator());
        }
      }
    }
    return null;
  }

  // ---- element types ----

  private void elementTypes(Node n, String where) {
    if (!n.domain().isEmpty() && !n.domain().equals("ai.onnx")) {
      return;
    }
    switch (n.opType()) {
      case "If" -> {
        for (String branch : List.of("then_branch", "else_branch")) {
          if (n.attribute(branch).orElse(null) instanceof Attribute.GraphAttr ga) {
            List<Value> outs = ga.value().outputs();
            if (outs.size() != n.outputCount()) {
              problem(where, branch + " has " + outs.size() + " outputs but the node has "
                  + n.outputCount());
            } else {
              for (int k = 0; k < outs.size(); k++) {
                sameDType(where, branch + " output " + k, outs.get(k), "node output " + k,
                    n.output(k));
              }
            }
          }
        }
      }
      case "Loop" -> {
        if (n.attribute("body").orElse(null) instanceof Attribute.GraphAttr ga) {
          Graph body = ga.value();
          int carried = n.inputCount() - 2;
          if (carried >= 0 && body.inputs().size() != carried + 2) {
            problem(where, "body has " + body.inputs().size() + " inputs but the node carries "
                + carried + " values (expected " + (carried + 2) + ")");
          }
          for (int k = 0; k < carried && 1 + k < body.outputs().size(); k++) {
            sameDType(where, "loop-carried input " + (2 + k), n.input(2 + k),
                "body output " + (1 + k), body.outputs().get(1 + k));
            if (k < n.outputCount()) {
              sameDType(where, "body output " + (1 + k), body.outputs().get(1 + k),
                  "node output " + k, n.output(k));
            }
          }
        }
      }
      case "Cast" -> {
        long to = n.intAttr("to", -1);
        DType out = dtypeOf(n.output(0));
        if (to >= 0 && out != null && out.onnxCode() != to) {
          problem(where, "casts to element type " + to + " but its output %"
              + n.output(0).name() + " is " + out.textName());
        }
      }
      case "Constant" -> {
        if (n.attribute("value").orElse(null) instanceof Attribute.TensorAttr t) {
          DType out = dtypeOf(n.output(0));
          if (out != null && out != t.value().dtype()) {
            problem(where, "its value is " + t.value().dtype().textName() + " but its output %"
                + n.output(0).name() + " is " + out.textName());
          }
        }
      }
      case "Identity" -> sameDType(where, "input 0", n.input(0), "output 0", n.output(0));
      default -> { }
    }
  }

  private void sameDType(String where, String aWhat, Value a, String bWhat, Value b) {
    DType x = dtypeOf(a);
    DType y = dtypeOf(b);
    if (x != null && y != null && x != y) {
      problem(where, aWhat + " %" + a.name() + " is " + x.textName() + " but " + bWhat + " %"
          + b.name() + " is " + y.textName());
    }
  }

  private static DType dtypeOf(Value v) {
    return v != null && v.type() instanceof ValueType.TensorType t ? t.dtype() : null;
  }

  // ---- use lists ----

  private void checkUseLists() {
    Set<Value> all = new LinkedHashSet<>();
    all.addAll(definedValues);
    all.addAll(expectedUses.keySet());
    for (Value v : all) {
      List<Use> expected = expectedUses.getOrDefault(v, List.of());
      List<Use> actual = new ArrayList<>(v.uses());
      for (Use u : expected) {
        if (!actual.remove(u)) {
          problems.add("%" + v.name() + ": its use list misses input " + u.index() + " of "
              + u.node() + ", which reads it");
        }
      }
      for (Use u : actual) {
        Value reads = u.index() < u.node().inputCount() ? u.node().input(u.index()) : null;
        problems.add("%" + v.name() + ": its use list records input " + u.index() + " of "
            + u.node() + ", which " + (reads == v ? "is no longer part of the graph"
                : reads == null ? "reads nothing" : "reads %" + reads.name()));
      }
    }
  }
}
