package dev.convoy.ir.graph;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One operator application. Inputs may be {@code null} where an optional input is omitted (ONNX
 * writes an empty name); outputs likewise. Attributes are kept sorted by name so iteration is
 * deterministic. Changing an input goes through {@link #setInput}, which keeps use lists right.
 */
public final class Node {
  private final Graph graph;
  private String opType;
  private String domain;
  private String name;
  private String docString = "";
  private final List<Value> inputs = new ArrayList<>();
  private final List<Value> outputs = new ArrayList<>();
  private final TreeMap<String, Attribute> attributes = new TreeMap<>();

  Node(Graph graph, String domain, String opType, String name) {
    this.graph = graph;
    this.domain = domain == null ? "" : domain;
    this.opType = opType;
    this.name = name == null ? "" : name;
  }

  public Graph graph() {
    return graph;
  }

  /**
   * This node when it belongs to {@code g}, else the node of {@code g} whose subgraph holds it (at
   * any depth): where a read inside a control-flow body happens, seen from {@code g}. {@code g}
   * must be this node's graph or one enclosing it.
   */
  public Node enclosingNodeIn(Graph g) {
    Node n = this;
    while (n.graph() != g) {
      n = n.graph().parentNode();
    }
    return n;
  }

  public String opType() {
    return opType;
  }

  /** The op domain; {@code ""} is the default ONNX domain ({@code ai.onnx}). */
  public String domain() {
    return domain;
  }

  /** Changes the op this node applies (used by replacement rules). */
  public void setOp(String domain, String opType) {
    this.domain = domain == null ? "" : domain;
    this.opType = opType;
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

  /** Whether this node is {@code opType} in the default ONNX domain. */
  public boolean is(String opType) {
    return domain.isEmpty() && this.opType.equals(opType);
  }

  public List<Value> inputs() {
    return Collections.unmodifiableList(inputs);
  }

  public List<Value> outputs() {
    return Collections.unmodifiableList(outputs);
  }

  /** Input {@code i}, or {@code null} when it is omitted or beyond the inputs given. */
  public Value input(int i) {
    return i < inputs.size() ? inputs.get(i) : null;
  }

  public Value output(int i) {
    return i < outputs.size() ? outputs.get(i) : null;
  }

  public int inputCount() {
    return inputs.size();
  }

  public int outputCount() {
    return outputs.size();
  }

  /** Whether no output but the first is read (by a node or as a graph output). */
  public boolean onlyFirstOutputRead() {
    for (int k = 1; k < outputs.size(); k++) {
      Value v = outputs.get(k);
      if (v != null && (v.hasUses() || v.isGraphOutput())) {
        return false;
      }
    }
    return true;
  }

  public void setInput(int i, Value v) {
    Value old = inputs.get(i);
    if (old != null) {
      old.removeUse(this, i);
    }
    inputs.set(i, v);
    if (v != null) {
      v.addUse(this, i);
    }
  }

  /** Appends an input ({@code null} for an omitted optional one). */
  public void addInput(Value v) {
    inputs.add(v);
    if (v != null) {
      v.addUse(this, inputs.size() - 1);
    }
  }

  /** Removes every input, dropping their uses. */
  public void clearInputs() {
    for (int i = 0; i < inputs.size(); i++) {
      if (inputs.get(i) != null) {
        inputs.get(i).removeUse(this, i);
      }
    }
    inputs.clear();
  }

  /** Replaces the input list. */
  public void setInputs(List<Value> newInputs) {
    clearInputs();
    for (Value v : newInputs) {
      addInput(v);
    }
  }

  /** Adds a new output value named {@code name} ({@code null} name: an omitted output). */
  public Value addOutput(String name, ValueType type) {
    if (name == null) {
      outputs.add(null);
      return null;
    }
    Value v = graph.newValue(Value.Kind.NODE_OUTPUT, name, type);
    v.setProducer(this, outputs.size());
    outputs.add(v);
    return v;
  }

  public Map<String, Attribute> attributes() {
    return Collections.unmodifiableMap(attributes);
  }

  public Optional<Attribute> attribute(String name) {
    return Optional.ofNullable(attributes.get(name));
  }

  public boolean hasAttribute(String name) {
    return attributes.containsKey(name);
  }

  public void setAttribute(String name, Attribute value) {
    attributes.put(name, value);
  }

  public void removeAttribute(String name) {
    attributes.remove(name);
  }

  public long intAttr(String name, long defaultValue) {
    Attribute a = attributes.get(name);
    return a instanceof Attribute.IntAttr i ? i.value() : defaultValue;
  }

  public float floatAttr(String name, float defaultValue) {
    Attribute a = attributes.get(name);
    return a instanceof Attribute.FloatAttr f ? f.value() : defaultValue;
  }

  public String stringAttr(String name, String defaultValue) {
    Attribute a = attributes.get(name);
    return a instanceof Attribute.StringAttr s ? s.text() : defaultValue;
  }

  /** An ints attribute, or {@code null} when absent. */
  public long[] intsAttr(String name) {
    Attribute a = attributes.get(name);
    return a instanceof Attribute.IntsAttr i ? i.values() : null;
  }

  /** Subgraphs owned by this node (bodies of If/Loop/Scan), in attribute-name order. */
  public List<Graph> subgraphs() {
    List<Graph> out = new ArrayList<>();
    for (Attribute a : attributes.values()) {
      if (a instanceof Attribute.GraphAttr g) {
        out.add(g.value());
      } else if (a instanceof Attribute.GraphsAttr gs) {
        out.addAll(gs.values());
      }
    }
    return out;
  }

  @Override
  public String toString() {
    String id = name.isEmpty() ? "" : " '" + name + "'";
    return (domain.isEmpty() ? "" : domain + "::") + opType + id;
  }
}
