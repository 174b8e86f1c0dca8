package dev.convoy.ir.graph;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Structural comparison of two graphs. {@link #first} names the first difference found (so a
 * failing test says where two graphs part ways) or returns {@code null} when they are equal.
 * Values are compared by name and type, tensors by content, subgraphs recursively.
 */
public final class GraphDiff {
  private GraphDiff() {}

  /** The first difference between {@code a} and {@code b}, or {@code null} if there is none. */
  public static String first(Graph a, Graph b) {
    String where = a.name().isEmpty() ? "graph" : "graph '" + a.name() + "'";
    if (!a.name().equals(b.name())) {
      return "graph names differ: '" + a.name() + "' vs '" + b.name() + "'";
    }
    if (!a.docString().equals(b.docString())) {
      return where + ": doc strings differ";
    }
    if (a.isTopLevel()) {
      if (!a.opsets().equals(b.opsets())) {
        return "opset imports differ: " + a.opsets() + " vs " + b.opsets();
      }
      if (!a.metadata().equals(b.metadata())) {
        return "metadata differs: " + a.metadata() + " vs " + b.metadata();
      }
      if (!a.info().equals(b.info())) {
        return "model info differs: " + a.info() + " vs " + b.info();
      }
    }
    String d = values(where + " inputs", a.inputs(), b.inputs());
    if (d != null) {
      return d;
    }
    d = values(where + " initializers", a.initializers(), b.initializers());
    if (d != null) {
      return d;
    }
    for (int i = 0; i < a.initializers().size(); i++) {
      Value x = a.initializers().get(i);
      Value y = b.initializers().get(i);
      if (!x.constant().equals(y.constant())) {
        return where + ": initializer " + x.name() + " data differs";
      }
    }
    if (a.nodes().size() != b.nodes().size()) {
      return where + ": " + a.nodes().size() + " nodes vs " + b.nodes().size();
    }
    for (int i = 0; i < a.nodes().size(); i++) {
      d = node(where + " node " + i, a.nodes().get(i), b.nodes().get(i));
      if (d != null) {
        return d;
      }
    }
    return values(where + " outputs", a.outputs(), b.outputs());
  }

  private static String node(String where, Node x, Node y) {
    if (!x.opType().equals(y.opType()) || !x.domain().equals(y.domain())) {
      return where + ": op " + x + " vs " + y;
    }
    if (!x.name().equals(y.name())) {
      return where + ": name '" + x.name() + "' vs '" + y.name() + "'";
    }
    if (!x.docString().equals(y.docString())) {
      return where + " (" + x + "): doc strings differ";
    }
    if (x.inputCount() != y.inputCount()) {
      return where + " (" + x + "): " + x.inputCount() + " inputs vs " + y.inputCount();
    }
    for (int i = 0; i < x.inputCount(); i++) {
      if (!Objects.equals(nameOf(x.input(i)), nameOf(y.input(i)))) {
        return where + " (" + x + ") input " + i + ": " + x.input(i) + " vs " + y.input(i);
      }
    }
    String d = values(where + " (" + x + ") outputs", x.outputs(), y.outputs());
    if (d != null) {
      return d;
    }
    Map<String, Attribute> ax = x.attributes();
    Map<String, Attribute> ay = y.attributes();
    if (!ax.keySet().equals(ay.keySet())) {
      return where + " (" + x + "): attributes " + ax.keySet() + " vs " + ay.keySet();
    }
    for (String k : ax.keySet()) {
      Attribute p = ax.get(k);
      Attribute q = ay.get(k);
      if (p instanceof Attribute.GraphAttr gp && q instanceof Attribute.GraphAttr gq) {
        d = first(gp.value(), gq.value());
        if (d != null) {
          return where + " (" + x + ") attribute " + k + ": " + d;
        }
      } else if (!p.equals(q)) {
        return where + " (" + x + "): attribute " + k + " differs: " + p + " vs " + q;
      }
    }
    return null;
  }

  private static String nameOf(Value v) {
    return v == null ? null : v.name();
  }

  private static String values(String where, List<Value> a, List<Value> b) {
    if (a.size() != b.size()) {
      return where + ": " + a.size() + " vs " + b.size();
    }
    for (int i = 0; i < a.size(); i++) {
      Value x = a.get(i);
      Value y = b.get(i);
      if (x == null || y == null) {
        if (x != y) {
          return where + " " + i + ": " + x + " vs " + y;
        }
        continue;
      }
      if (!x.name().equals(y.name())) {
        return where + " " + i + ": " + x + " vs " + y;
      }
      if (!Objects.equals(x.type(), y.type())) {
        return where + " " + i + " (" + x + "): type " + x.type() + " vs " + y.type();
      }
      if (!x.docString().equals(y.docString())) {
        return where + " " + i + " (" + x + "): doc strings differ";
      }
    }
    return null;
  }
}
