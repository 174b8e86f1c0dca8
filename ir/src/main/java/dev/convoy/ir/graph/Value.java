package dev.convoy.ir.graph;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One SSA edge: defined exactly once, as a graph input, an initializer (a constant backed by a
 * {@link Tensor}) or a node output. Keeps its uses so that rewrites can find consumers without
 * walking the graph; uses by nodes inside subgraphs (captures) are listed too.
 */
public final class Value {
  /** How a value is defined. */
  public enum Kind {
    INPUT,
    INITIALIZER,
    NODE_OUTPUT
  }

  private final Graph owner;
  private final Kind kind;
  private String name;
  private ValueType type;
  private Tensor constant;
  private Node producer;
  private int producerIndex = -1;
  private String docString = "";
  private final List<Use> uses = new ArrayList<>();

  Value(Graph owner, Kind kind, String name, ValueType type) {
    this.owner = owner;
    this.kind = kind;
    this.name = name;
    this.type = type;
  }

  public Graph owner() {
    return owner;
  }

  public Kind kind() {
    return kind;
  }

  public String name() {
    return name;
  }

  /** Renames the value; the name must be free in the whole graph tree. */
  public void rename(String newName) {
    owner.renameValue(this, newName);
    this.name = newName;
  }

  /** The type, or {@code null} when unknown. */
  public ValueType type() {
    return type;
  }

  public void setType(ValueType type) {
    this.type = type;
  }

  /** The tensor type, or {@code null} when the type is unknown or not a tensor. */
  public ValueType.TensorType tensorType() {
    return type instanceof ValueType.TensorType t ? t : null;
  }

  public boolean isInitializer() {
    return kind == Kind.INITIALIZER;
  }

  public boolean isGraphInput() {
    return kind == Kind.INPUT;
  }

  /** The initializer's data; {@code null} for values that are not initializers. */
  public Tensor constant() {
    return constant;
  }

  void setConstant(Tensor t) {
    this.constant = t;
  }

  /** Replaces an initializer's data (same name); the type follows the tensor. */
  public void replaceConstant(Tensor t) {
    if (kind != Kind.INITIALIZER) {
      throw new IllegalStateException(name + " is not an initializer");
    }
    this.constant = t;
    this.type = t.type();
  }

  /** The node that defines this value, or {@code null} for inputs and initializers. */
  public Node producer() {
    return producer;
  }

  /** Which output of {@link #producer()} this value is. */
  public int producerIndex() {
    return producerIndex;
  }

  void setProducer(Node node, int index) {
    this.producer = node;
    this.producerIndex = index;
  }

  public String docString() {
    return docString;
  }

  public void setDocString(String docString) {
    this.docString = docString == null ? "" : docString;
  }

  /** Node inputs that read this value (unmodifiable; order is the order uses were added). */
  public List<Use> uses() {
    return Collections.unmodifiableList(uses);
  }

  void addUse(Node node, int index) {
    uses.add(new Use(node, index));
  }

  void removeUse(Node node, int index) {
    for (int i = 0; i < uses.size(); i++) {
      Use u = uses.get(i);
      if (u.node() == node && u.index() == index) {
        uses.remove(i);
        return;
      }
    }
    throw new IllegalStateException("value " + name + " has no use at " + node + "#" + index);
  }

  /** Whether this value is one of its graph's outputs. */
  public boolean isGraphOutput() {
    return owner.outputs().contains(this);
  }

  /** Whether anything reads this value: a node (here or in a subgraph) or a graph output. */
  public boolean hasUses() {
    return !uses.isEmpty() || isGraphOutput();
  }

  /** Points every node use of this value at {@code replacement}; graph outputs are untouched. */
  public void replaceAllUsesWith(Value replacement) {
    if (replacement == this) {
      return;
    }
    for (Use u : List.copyOf(uses)) {
      u.node().setInput(u.index(), replacement);
    }
  }

  @Override
  public String toString() {
    return "%" + name;
  }
}
