package dev.convoy.ir.graph;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A computation graph: nodes in topological order, inputs, outputs and initializers. A top-level
 * graph also carries the opset imports, metadata and {@link ModelInfo}; a subgraph (an If branch,
 * a Loop or Scan body) has a parent node and may read values of enclosing graphs by reference.
 *
 * <p>Value names are unique across the whole tree of graphs so that new names made by passes never
 * shadow a name in an enclosing or nested scope. All structural changes go through this class or
 * {@link Node}, which keep use lists and the name table consistent.
 *
 * <p>{@link #equals} is structural: two graphs are equal when they have the same names, types,
 * tensors, nodes (in order), attributes, subgraphs, opsets and metadata.
 */
public final class Graph {
  private final Graph parentGraph;
  private Node parentNode;
  private final Set<String> names;
  private String name = "";
  private String docString = "";
  private final List<Value> inputs = new ArrayList<>();
  private final List<Value> outputs = new ArrayList<>();
  private final LinkedHashMap<String, Value> initializers = new LinkedHashMap<>();
  private final List<Node> nodes = new ArrayList<>();
  private final LinkedHashMap<String, Long> opsets = new LinkedHashMap<>();
  private final LinkedHashMap<String, String> metadata = new LinkedHashMap<>();
  private ModelInfo info = ModelInfo.DEFAULT;
  private long nameCounter;

  /** A new, empty top-level graph. */
  public Graph() {
    this.parentGraph = null;
    this.names = new HashSet<>();
  }

  private Graph(Graph parentGraph) {
    this.parentGraph = parentGraph;
    this.names = parentGraph.names;
  }

  /**
   * A new, empty subgraph scoped inside this graph. Attach it to a node with a {@link
   * Attribute.GraphAttr}; {@link #parentNode()} is set when the attribute is set on a node of this
   * graph through {@link #adoptSubgraphs(Node)}.
   */
  public Graph newSubgraph(String name) {
    Graph g = new Graph(this);
    g.name = name == null ? "" : name;
    return g;
  }

  /** The enclosing graph, or {@code null} at top level. */
  public Graph parentGraph() {
    return parentGraph;
  }

  /** The node owning this subgraph, or {@code null} at top level or before it is attached. */
  public Node parentNode() {
    return parentNode;
  }

  /** Records {@code node} as the owner of each of its subgraphs. */
  public void adoptSubgraphs(Node node) {
    for (Graph g : node.subgraphs()) {
      g.parentNode = node;
    }
  }

  public boolean isTopLevel() {
    return parentGraph == null;
  }

  public String name() {
    return name;
  }

  public void setName(String name) {
    this.name = name == null ? "" : name;
  }

  public String docString() {
    return docString;
  }

  public void setDocString(String docString) {
    this.docString = docString == null ? "" : docString;
  }

  public ModelInfo info() {
    return info;
  }

  public void setInfo(ModelInfo info) {
    this.info = Objects.requireNonNull(info);
  }

  /** Opset imports: domain ({@code ""} for ai.onnx) to version, in file order. */
  public Map<String, Long> opsets() {
    return opsets;
  }

  /** The imported version of {@code domain}, looking through enclosing graphs; 0 if none. */
  public long opsetVersion(String domain) {
    String d = domain.equals("ai.onnx") ? "" : domain;
    for (Graph g = this; g != null; g = g.parentGraph) {
      Long v = g.opsets.get(d);
      if (v != null) {
        return v;
      }
    }
    return 0;
  }

  /** Free-form model metadata (ONNX {@code metadata_props}), in file order. */
  public Map<String, String> metadata() {
    return metadata;
  }

  public List<Value> inputs() {
    return Collections.unmodifiableList(inputs);
  }

  public List<Value> outputs() {
    return Collections.unmodifiableList(outputs);
  }

  /** Initializers in declaration order. */
  public List<Value> initializers() {
    return List.copyOf(initializers.values());
  }

  public Value initializer(String name) {
    return initializers.get(name);
  }

  /** Nodes in topological order (unmodifiable view). */
  public List<Node> nodes() {
    return Collections.unmodifiableList(nodes);
  }

  // ---- names ----

  /** Whether {@code name} is taken anywhere in this tree of graphs. */
  public boolean isNameTaken(String name) {
    return names.contains(name);
  }

  /** A name not yet used in the graph tree, derived from {@code hint}. */
  public String uniqueName(String hint) {
    String base = hint == null || hint.isEmpty() ? "v" : hint;
    if (!names.contains(base)) {
      return base;
    }
    String candidate;
    do {
      candidate = base + "_" + (++nameCounter);
    } while (names.contains(candidate));
    return candidate;
  }

  Value newValue(Value.Kind kind, String name, ValueType type) {
    Objects.requireNonNull(name, "value name");
    names.add(name);
    return new Value(this, kind, name, type);
  }

  void renameValue(Value v, String newName) {
    if (names.contains(newName)) {
      throw new IllegalArgumentException("name " + newName + " is already used");
    }
    String old = v.name();
    if (old.equals(newName)) {
      return;
    }
    names.add(newName);
    Value init = initializers.remove(old);
    if (init != null) {
      initializers.put(newName, init);
    }
    names.remove(old);
  }

  // ---- building ----

  public Value addInput(String name, ValueType type) {
    Value v = newValue(Value.Kind.INPUT, name, type);
    inputs.add(v);
    return v;
  }

  public Value addInitializer(String name, Tensor tensor) {
    if (initializers.containsKey(name)) {
      throw new IllegalArgumentException("initializer " + name + " already exists");
    }
    Value v = newValue(Value.Kind.INITIALIZER, name, tensor.type());
    v.setConstant(tensor);
    initializers.put(name, v);
    return v;
  }

  public void removeInitializer(Value v) {
    if (!v.uses().isEmpty() || v.isGraphOutput()) {
      throw new IllegalStateException("initializer " + v.name() + " is still used");
    }
    initializers.remove(v.name());
    names.remove(v.name());
  }

  public void addOutput(Value v) {
    outputs.add(v);
  }

  public void setOutput(int i, Value v) {
    outputs.set(i, v);
  }

  /**
   * Appends a node with fresh outputs named {@code outputNames} (a {@code null} entry is an
   * omitted output). Output types start unknown.
   */
  public Node addNode(
      String domain, String opType, List<Value> inputs, List<String> outputNames,
      Map<String, Attribute> attributes) {
    return insertNode(nodes.size(), domain, opType, inputs, outputNames, attributes);
  }

  /** As {@link #addNode}, placing the node immediately before {@code anchor}. */
  public Node addNodeBefore(
      Node anchor, String domain, String opType, List<Value> inputs, List<String> outputNames,
      Map<String, Attribute> attributes) {
    int at = nodes.indexOf(anchor);
    if (at < 0) {
      throw new IllegalArgumentException(anchor + " is not in this graph");
    }
    return insertNode(at, domain, opType, inputs, outputNames, attributes);
  }

  private Node insertNode(
      int at, String domain, String opType, List<Value> ins, List<String> outputNames,
      Map<String, Attribute> attributes) {
    Node n = new Node(this, domain, opType, "");
    for (Value v : ins) {
      n.addInput(v);
    }
    for (String out : outputNames) {
      n.addOutput(out, null);
    }
    if (attributes != null) {
      attributes.forEach(n::setAttribute);
    }
    adoptSubgraphs(n);
    nodes.add(at, n);
    return n;
  }

  /**
   * Removes {@code node}; its outputs must have no remaining uses. The node's input uses are
   * dropped, and so are the uses made by nodes of its subgraphs (captures).
   */
  public void removeNode(Node node) {
    for (Value out : node.outputs()) {
      if (out != null && out.hasUses()) {
        throw new IllegalStateException(
            "cannot remove " + node + ": output " + out.name() + " is still used");
      }
    }
    if (!nodes.remove(node)) {
      throw new IllegalArgumentException(node + " is not in this graph");
    }
    node.clearInputs();
    for (Graph g : node.subgraphs()) {
      g.forEachNode(Node::clearInputs);
    }
    for (Value out : node.outputs()) {
      if (out != null) {
        names.remove(out.name());
      }
    }
  }

  /** Moves {@code node} (already in this graph) to position {@code index}. */
  public void moveNode(Node node, int index) {
    if (!nodes.remove(node)) {
      throw new IllegalArgumentException(node + " is not in this graph");
    }
    nodes.add(index, node);
  }

  /** Visits every node of this graph and, depth first, of its subgraphs. */
  public void forEachNode(Consumer<Node> visitor) {
    for (Node n : List.copyOf(nodes)) {
      visitor.accept(n);
      for (Graph g : n.subgraphs()) {
        g.forEachNode(visitor);
      }
    }
  }

  /** Node count including nodes inside subgraphs. */
  public int totalNodeCount() {
    int[] count = {0};
    forEachNode(n -> count[0]++);
    return count[0];
  }

  /** Looks a value up by name in this graph and then in enclosing graphs. */
  public Value lookup(String valueName) {
    for (Graph g = this; g != null; g = g.parentGraph) {
      Value v = g.localValue(valueName);
      if (v != null) {
        return v;
      }
    }
    return null;
  }

  /** A value defined in this graph (input, initializer or node output), or {@code null}. */
  public Value localValue(String valueName) {
    Value init = initializers.get(valueName);
    if (init != null) {
      return init;
    }
    for (Value v : inputs) {
      if (v.name().equals(valueName)) {
        return v;
      }
    }
    for (Node n : nodes) {
      for (Value v : n.outputs()) {
        if (v != null && v.name().equals(valueName)) {
          return v;
        }
      }
    }
    return null;
  }

  // ---- copying ----

  /** A deep copy (tensors are shared; they are immutable). */
  public Graph copy() {
    if (!isTopLevel()) {
      throw new IllegalStateException("copy a top-level graph");
    }
    Graph g = new Graph();
    copyInto(g, new IdentityHashMap<>());
    g.opsets.putAll(opsets);
    g.metadata.putAll(metadata);
    g.info = info;
    g.nameCounter = nameCounter;
    return g;
  }

  private void copyInto(Graph g, Map<Value, Value> map) {
    g.name = name;
    g.docString = docString;
    for (Value in : inputs) {
      Value c = g.addInput(in.name(), in.type());
      c.setDocString(in.docString());
      map.put(in, c);
    }
    for (Value init : initializers.values()) {
      Value c = g.addInitializer(init.name(), init.constant());
      c.setDocString(init.docString());
      map.put(init, c);
    }
    for (Node n : nodes) {
      g.appendCopyOf(n, map);
    }
    for (Value out : outputs) {
      g.outputs.add(map.getOrDefault(out, out));
    }
  }

  /**
   * Appends a copy of {@code source}, a node of any graph, to this graph; subgraphs are copied
   * deeply. Its inputs, and the outer values its subgraphs capture, are looked up in {@code map}
   * (source value to value of this tree; an unmapped value is used as it is); the copies of its
   * outputs and of the values its subgraphs define are added to {@code map}. Output names, types
   * and doc strings are kept, so the caller makes sure the names are free here.
   */
  public Node appendCopyOf(Node source, Map<Value, Value> map) {
    Node c = new Node(this, source.domain(), source.opType(), source.name());
    c.setDocString(source.docString());
    for (Value in : source.inputs()) {
      c.addInput(in == null ? null : map.getOrDefault(in, in));
    }
    for (Value out : source.outputs()) {
      Value co = c.addOutput(out == null ? null : out.name(), out == null ? null : out.type());
      if (out != null) {
        co.setDocString(out.docString());
        map.put(out, co);
      }
    }
    for (var e : source.attributes().entrySet()) {
      c.setAttribute(e.getKey(), copyAttribute(e.getValue(), this, map));
    }
    adoptSubgraphs(c);
    nodes.add(c);
    return c;
  }

  private static Attribute copyAttribute(Attribute a, Graph into, Map<Value, Value> map) {
    if (a instanceof Attribute.GraphAttr ga) {
      Graph sub = new Graph(into);
      ga.value().copyInto(sub, map);
      return new Attribute.GraphAttr(sub);
    }
    if (a instanceof Attribute.GraphsAttr gs) {
      List<Graph> subs = new ArrayList<>();
      for (Graph s : gs.values()) {
        Graph sub = new Graph(into);
        s.copyInto(sub, map);
        subs.add(sub);
      }
      return new Attribute.GraphsAttr(subs);
    }
    return a;
  }

  // ---- equality ----

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Graph g)) {
      return false;
    }
    return GraphDiff.first(this, g) == null;
  }

  @Override
  public int hashCode() {
    int h = name.hashCode();
    for (Node n : nodes) {
      h = 31 * h + n.opType().hashCode();
    }
    for (Value v : inputs) {
      h = 31 * h + v.name().hashCode();
    }
    for (Value v : outputs) {
      h = 31 * h + v.name().hashCode();
    }
    return h;
  }

  /** Counts nodes by op type over the whole tree (domain-qualified for non-default domains). */
  public Map<String, Integer> opHistogram() {
    Map<String, Integer> hist = new HashMap<>();
    forEachNode(
        n ->
            hist.merge(
                n.domain().isEmpty() ? n.opType() : n.domain() + "::" + n.opType(), 1,
                Integer::sum));
    return hist;
  }

  @Override
  public String toString() {
    return "Graph(" + name + ", " + nodes.size() + " nodes)";
  }
}
