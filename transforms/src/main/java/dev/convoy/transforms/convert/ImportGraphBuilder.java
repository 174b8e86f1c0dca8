package dev.convoy.transforms.convert;

import dev.convoy.ir.eval.ShapeInference;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The graph a non-ONNX frontend builds: nodes of standard ONNX ops, appended in order, each
 * with its output types inferred at once (a frontend often needs a static size to translate the
 * next layer) unless the frontend infers the finished graph itself, and weights as initializers
 * under fresh names.
 */
public class ImportGraphBuilder {
  protected final Graph graph;
  private final boolean inferEachNode;

  /** A builder of a new top-level graph that infers each node's output types as it is added. */
  public ImportGraphBuilder() {
    this.graph = new Graph();
    this.inferEachNode = true;
  }

  /**
   * A builder appending to {@code graph} (a frontend's graph or one of its subgraphs) whose types
   * the frontend infers once, over the whole graph, when it is complete.
   */
  public ImportGraphBuilder(Graph graph) {
    this.graph = graph;
    this.inferEachNode = false;
  }

  /** The graph built so far. */
  public Graph graph() {
    return graph;
  }

  /**
   * Adds a default-domain node named {@code nodeName} (unnamed when null) with one output named
   * after {@code outHint}.
   */
  public Value node(String nodeName, String op, List<Value> inputs, Map<String, Attribute> attrs,
      String outHint) {
    return nodeN(nodeName, op, inputs, attrs, List.of(outHint)).get(0);
  }

  /** As {@link #node} with several outputs. */
  public List<Value> nodeN(String nodeName, String op, List<Value> inputs,
      Map<String, Attribute> attrs, List<String> outHints) {
    List<String> names = new ArrayList<>();
    Set<String> used = new HashSet<>();
    for (String h : outHints) {
      // uniqueName does not reserve, so equal hints within one node are told apart here.
      String n = graph.uniqueName(h);
      for (int k = 1; !used.add(n); k++) {
        n = graph.uniqueName(h + "_" + k);
      }
      names.add(n);
    }
    Node node = graph.addNode("", op, inputs, names, attrs == null ? Map.of() : attrs);
    if (nodeName != null) {
      node.setName(nodeName);
    }
    graph.adoptSubgraphs(node);
    if (inferEachNode) {
      ShapeInference.inferNode(node);
    }
    return node.outputs();
  }

  /** Adds {@code t} as an initializer under a fresh name derived from {@code name}. */
  public Value constant(String name, Tensor t) {
    return graph.addInitializer(graph.uniqueName(name), t);
  }

  /** A 1-D int64 initializer (shapes, axes, pads). */
  public Value int64s(String name, long... values) {
    return constant(name, Tensor.ofLongs(new long[] {values.length}, values));
  }

  /**
   * Attributes from name/value pairs: Long or Integer (int), Float, long[] (ints), String, or
   * an {@link Attribute} as is.
   */
  public static Map<String, Attribute> attrs(Object... kv) {
    Map<String, Attribute> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      Object v = kv[i + 1];
      Attribute a;
      if (v instanceof Attribute x) {
        a = x;
      } else if (v instanceof Long || v instanceof Integer) {
        a = new Attribute.IntAttr(((Number) v).longValue());
      } else if (v instanceof Float x) {
        a = new Attribute.FloatAttr(x);
      } else if (v instanceof long[] x) {
        a = new Attribute.IntsAttr(x);
      } else if (v instanceof String x) {
        a = Attribute.StringAttr.of(x);
      } else {
        throw new IllegalArgumentException("attribute value " + v);
      }
      m.put((String) kv[i], a);
    }
    return m;
  }
}
