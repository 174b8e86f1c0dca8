package dev.convoy.ir.ops;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds and runs single-node graphs for kernel tests. */
public final class OneNode {
  private final Graph graph = new Graph();
  private final List<Value> inputs = new ArrayList<>();
  private final Map<String, RuntimeValue> feeds = new LinkedHashMap<>();
  private final Map<String, Attribute> attrs = new LinkedHashMap<>();
  private final String domain;
  private final String op;
  private int outputs = 1;

  private OneNode(String domain, String op, long opset) {
    this.domain = domain;
    this.op = op;
    graph.opsets().put("", 22L);
    graph.opsets().put(domain, opset);
  }

  public static OneNode of(String op) {
    return new OneNode("", op, 22);
  }

  public static OneNode of(String op, long opset) {
    return new OneNode("", op, opset);
  }

  /** An op of another domain (say {@code convoy}) at {@code opset}. */
  public static OneNode of(String domain, String op, long opset) {
    return new OneNode(domain, op, opset);
  }

  /** Sizes written {@code "3x3"} or {@code "1x1x0x0"} (kernel shapes, strides, pads in tests). */
  public static long[] sizes(String spec) {
    String[] p = spec.split("x");
    long[] v = new long[p.length];
    for (int i = 0; i < p.length; i++) {
      v[i] = Long.parseLong(p[i]);
    }
    return v;
  }

  public OneNode in(NdArray a) {
    String name = "x" + inputs.size();
    inputs.add(graph.addInput(name, new ValueType.TensorType(a.dtype(), a.shape())));
    feeds.put(name, a);
    return this;
  }

  /** An omitted optional input. */
  public OneNode none() {
    inputs.add(null);
    return this;
  }

  public OneNode attr(String name, Attribute a) {
    attrs.put(name, a);
    return this;
  }

  public OneNode outputs(int n) {
    this.outputs = n;
    return this;
  }

  public Node node() {
    List<String> outs = new ArrayList<>();
    for (int i = 0; i < outputs; i++) {
      outs.add("y" + i);
    }
    Node n = graph.addNode(domain, op, inputs, outs, attrs);
    for (Value o : n.outputs()) {
      graph.addOutput(o);
    }
    return n;
  }

  public List<NdArray> runAll() {
    node();
    List<NdArray> out = new ArrayList<>();
    for (RuntimeValue v : Evaluator.standard().run(graph, feeds).values()) {
      out.add((NdArray) v);
    }
    return out;
  }

  public NdArray run() {
    return runAll().get(0);
  }
}
