package dev.convoy.transforms.optimize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.verify.OrtVerifier;
import dev.convoy.transforms.verify.SeededInputs;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The cases every rule owes, each one line in a test: starting from a graph (canonical text) where
 * the rule fires at the node named {@code root}, {@link #firesAndKeepsOutputs} applies it and
 * compares outputs before and after through Convoy's evaluator and through ONNX Runtime; the
 * {@code notWhere...} cases change that one graph the way a must-not-fire case needs (an
 * intermediate made a graph output, given another reader, a constant changed) and assert the
 * reason the rule gives.
 */
public final class RuleCases {
  private final MatchingRule<?> rule;
  private final String text;
  private final String root;
  private final OptimizeOptions options;

  private RuleCases(MatchingRule<?> rule, String text, String root, OptimizeOptions options) {
    this.rule = rule;
    this.text = text;
    this.root = root;
    this.options = options;
  }

  /** Cases for {@code rule} firing at node {@code root} of {@code text}, at level O2. */
  public static RuleCases of(MatchingRule<?> rule, String text, String root) {
    return new RuleCases(rule, text, root, OptimizeOptions.atLevel(Level.O2));
  }

  /** The same cases under other options (a target that allows ONNX Runtime's ops). */
  public RuleCases with(OptimizeOptions other) {
    return new RuleCases(rule, text, root, other);
  }

  /** The same cases with concrete sizes for the symbolic input dims (seeded inputs need them). */
  public RuleCases atShapes(Map<String, long[]> shapes) {
    return with(new OptimizeOptions(options.level(), options.enabled(), options.disabled(),
        options.pipelineFile(), shapes, options.verifyEachPass(), options.foldSizeCapBytes(),
        options.target()));
  }

  /**
   * The rule matches at the root; applied alone to a fixpoint it leaves a valid graph computing
   * the same outputs as before, in Convoy's evaluator and in ONNX Runtime (rtol 1e-4, atol 1e-5).
   */
  public Graph firesAndKeepsOutputs() {
    Graph g = GraphParser.parse(text);
    Match<?> m = rule.match(find(g, root), rewriter());
    assertTrue(m.ok(), rule.name() + " does not match at " + root + ": " + m.reason());
    Graph before = g.copy();
    PassContext ctx = new PassContext(options, null);
    int rewrites = new RuleSetPass(rule.name(), List.of(rule), 100).run(g, ctx);
    assertTrue(rewrites > 0, rule.name() + " did not rewrite");
    GoldenChecks.assertValid(g, rule.name());
    GoldenChecks.assertSameOutputs(before, g, options, rule.name());
    Map<String, Tensor> inputs = SeededInputs.generate(before, options.inputShapes());
    try (OrtVerifier ort = new OrtVerifier()) {
      var v = ort.compare(OnnxExporter.toBytes(before), OnnxExporter.toBytes(g), inputs);
      assertTrue(v.pass(), rule.name() + " changes ONNX Runtime's outputs: " + v.firstFailure());
    }
    return g;
  }

  /**
   * The rule fires; the rewritten graph, run in ONNX Runtime at each of {@code shapes} (concrete
   * sizes for the symbolic input dims), matches ONNX Runtime on the original. A rewrite that holds
   * only at the sizes it was matched under fails at the other one.
   */
  @SafeVarargs
  public final void keepsOutputsAtShapes(Map<String, long[]>... shapes) {
    Graph g = GraphParser.parse(text);
    Graph before = g.copy();
    int rewrites = new RuleSetPass(rule.name(), List.of(rule), 100)
        .run(g, new PassContext(options, null));
    assertTrue(rewrites > 0, rule.name() + " did not rewrite");
    try (OrtVerifier ort = new OrtVerifier()) {
      for (Map<String, long[]> s : shapes) {
        var v = ort.compare(OnnxExporter.toBytes(before), OnnxExporter.toBytes(g),
            SeededInputs.generate(before, s));
        assertTrue(v.pass(), rule.name() + " changes ONNX Runtime's outputs at " + s.keySet()
            + ": " + v.firstFailure());
      }
    }
  }

  /** The graph as given does not match at the root; its reason contains {@code reason}. */
  public void notFiring(String reason) {
    assertReason(GraphParser.parse(text), reason);
  }

  /** With {@code value} also a graph output, the rule does not match and says so. */
  public void notWhereGraphOutput(String value) {
    Graph g = GraphParser.parse(text);
    g.addOutput(g.lookup(value));
    assertReason(g, value + " is a graph output");
  }

  /** With another node reading {@code value}, the rule does not match and says so. */
  public void notWhereAnotherConsumer(String value) {
    Graph g = GraphParser.parse(text);
    Value v = g.lookup(value);
    Node reader = g.addNode("", "Identity", List.of(v), List.of(value + "_elsewhere"), Map.of());
    reader.output(0).setType(v.type());
    g.addOutput(reader.output(0));
    assertReason(g, value + " has another consumer");
  }

  /**
   * With every element of float32 initializer {@code init} set to {@code c}, the rule does not
   * match and its reason contains {@code reason}.
   */
  public void notWithConstant(String init, float c, String reason) {
    Graph g = GraphParser.parse(text);
    Value v = g.initializer(init);
    float[] values = new float[(int) v.constant().numElements()];
    Arrays.fill(values, c);
    v.replaceConstant(Tensor.ofFloats(v.constant().dims(), values));
    assertReason(g, reason);
  }

  private void assertReason(Graph g, String expected) {
    String why = reason(g);
    assertTrue(why.contains(expected), rule.name() + ": reason '" + why + "', expected '"
        + expected + "'");
  }

  private String reason(Graph g) {
    Match<?> m = rule.match(find(g, root), rewriter());
    assertFalse(m.ok(), rule.name() + " matched at " + root);
    assertEquals(0, new RuleSetPass(rule.name(), List.of(rule), 100)
        .run(g, new PassContext(options, null)), rule.name() + " rewrote the graph");
    return m.reason();
  }

  private Rewriter rewriter() {
    return new Rewriter(new PassContext(options, null));
  }

  private static Node find(Graph g, String name) {
    Node[] found = new Node[1];
    g.forEachNode(n -> {
      if (n.name().equals(name)) {
        found[0] = n;
      }
    });
    return found[0];
  }
}
