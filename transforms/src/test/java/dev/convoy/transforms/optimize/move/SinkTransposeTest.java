package dev.convoy.transforms.optimize.move;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.eval.ShapeInference;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.transforms.optimize.GoldenChecks;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.PassContext;
import dev.convoy.transforms.optimize.PassRegistry;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.RuleSetPass;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * sink-transpose moves a Transpose only where the Transposes it meets cancel or merge: cases
 * where it must not fire (with the reason it gives), cases it must handle, each checked through the
 * evaluator, and the law on random graphs: never more Transposes, the same outputs.
 */
class SinkTransposeTest {
  static final OptimizeOptions O1 = OptimizeOptions.atLevel(Level.O1);

  static Graph parse(String body, String io) {
    Graph g = GraphParser.parse("graph g " + io + " {\n  opset \"\" 21\n" + body + "}\n");
    ShapeInference.infer(g);
    return g;
  }

  static int transposes(Graph g) {
    AtomicInteger n = new AtomicInteger();
    g.forEachNode(x -> {
      if (x.is("Transpose")) {
        n.incrementAndGet();
      }
    });
    return n.get();
  }

  static Node named(Graph g, String name) {
    return g.nodes().stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow();
  }

  static Match<SinkPlan> match(Graph g, String node) {
    return new SinkTranspose().match(named(g, node), new Rewriter(new PassContext(O1, null)));
  }

  /** Runs O2's move rule set to a fixpoint; returns the number of rewrites. */
  static int sink(Graph g) {
    return new RuleSetPass("move", List.of(PassRegistry.rule(SinkTranspose.NAME),
        PassRegistry.rule(HoistTranspose.NAME), PassRegistry.rule(TransposeToReshape.NAME), PassRegistry.rule(SinkTransposeIntoMatMul.NAME),
        PassRegistry.rule("eliminate-dead-nodes")),
        10_000).run(g, new PassContext(O1, null));
  }

  @Test
  void leavesATransposeWhoseOnlyReaderIsAGraphOutput() {
    Graph g = parse("""
          %t: float32[1,3,4,2] = Transpose(%x) {perm=[0,2,3,1]} @t
          %y = Relu(%t) @relu
        """, "(%x: float32[1,2,3,4]) -> (%y: float32[1,3,4,2])");
    Match<SinkPlan> m = match(g, "t");
    assertFalse(m.ok());
    assertEquals("sinking t removes no Transpose", m.reason());
  }

  @Test
  void leavesAnIntermediateGraphOutputInItsLayout() {
    Graph g = parse("""
          %t: float32[1,3,4,2] = Transpose(%x) {perm=[0,2,3,1]} @t
          %r: float32[1,3,4,2] = Relu(%t) @relu
          %y = Transpose(%r) {perm=[0,3,1,2]} @back
        """, "(%x: float32[1,2,3,4]) -> (%r: float32[1,3,4,2], %y: float32[1,2,3,4])");
    Graph input = g.copy();
    assertTrue(sink(g) > 0);
    assertEquals(1, transposes(g), "the intermediate output needs its Transpose, the inverse goes");
    assertEquals(List.of("r", "y"), g.outputs().stream().map(v -> v.name()).toList());
    GoldenChecks.assertValid(g, "sink");
    GoldenChecks.assertSameOutputs(input, g, O1, "sink");
  }

  @Test
  void keepsATransposeThatAnotherUnmovableConsumerReads() {
    Graph g = parse("""
          %t: float32[1,3,4,2] = Transpose(%x) {perm=[0,2,3,1]} @t
          %r: float32[1,3,4,2] = Relu(%t) @relu
          %y = Transpose(%r) {perm=[0,3,1,2]} @back
          %z = MatMul(%t, %w) @keep_matmul
        """, "(%x: float32[1,2,3,4], %w: float32[2,5]) -> (%y: float32[1,2,3,4], %z: float32[1,3,4,5])");
    Graph input = g.copy();
    sink(g);
    assertEquals(1, transposes(g));
    assertEquals("t", named(g, "keep_matmul").input(0).producer().name());
    GoldenChecks.assertSameOutputs(input, g, O1, "sink");
  }

  @Test
  void refusesANonConstantOperandOfLowerRank() {
    Graph g = parse("""
          %t: float32[1,3,4,2] = Transpose(%x) {perm=[0,2,3,1]} @t
          %a: float32[1,3,4,2] = Add(%t, %v) @add
          %y = Transpose(%a) {perm=[0,3,1,2]} @back
        """, "(%x: float32[1,2,3,4], %v: float32[2]) -> (%y: float32[1,2,3,4])");
    Match<SinkPlan> m = match(g, "t");
    assertEquals("sinking t removes no Transpose", m.reason());
    assertEquals(2, transposes(g));
  }

  @Test
  void refusesSoftmaxBeforeOpset13() {
    Graph g = GraphParser.parse("""
        graph g (%x: float32[2,3,4]) -> (%y: float32[2,3,4]) {
          opset "" 11
          %t: float32[2,4,3] = Transpose(%x) {perm=[0,2,1]} @t
          %s: float32[2,4,3] = Softmax(%t) {axis=1} @softmax
          %y = Transpose(%s) {perm=[0,2,1]} @back
        }
        """);
    ShapeInference.infer(g);
    assertFalse(match(g, "t").ok(), "opset-11 Softmax flattens around its axis");
  }

  @Test
  void mergesIntoATransposeOfAnotherPermutation() {
    Graph g = parse("""
          %t: float32[1,3,4,2] = Transpose(%x) {perm=[0,2,3,1]} @t
          %r: float32[1,3,4,2] = Sigmoid(%t) @sigmoid
          %y = Transpose(%r) {perm=[0,3,2,1]} @other
        """, "(%x: float32[1,2,3,4]) -> (%y: float32[1,2,4,3])");
    Graph input = g.copy();
    sink(g);
    assertEquals(1, transposes(g));
    GoldenChecks.assertSameOutputs(input, g, O1, "sink");
  }

  @Test
  void movesConcatSplitSliceSoftmaxAndReductionsWithoutKeptDims() {
    Graph g = parse("""
          init %starts: int64[1] = [1]
          init %ends: int64[1] = [3]
          init %axes: int64[1] = [2]
          init %split: int64[2] = [1, 1]
          %t: float32[1,3,4,2] = Transpose(%x) {perm=[0,2,3,1]} @t
          %u: float32[1,3,4,2] = Transpose(%w) {perm=[0,2,3,1]} @u
          %c: float32[1,3,4,4] = Concat(%t, %u) {axis=3} @concat
          %s: float32[1,3,2,4] = Slice(%c, %starts, %ends, %axes) @slice
          %m: float32[1,3,2,4] = Softmax(%s) {axis=1} @softmax
          %a, %b = Split(%m, %split) {axis=2} @split
          %y = Transpose(%a) {perm=[0,3,1,2]} @back
          %z = ReduceSum(%b, %axes) {keepdims=0} @sum
          %zt = Transpose(%z) {perm=[0,2,1]} @back2
        """, "(%x: float32[1,2,3,4], %w: float32[1,2,3,4]) -> (%y: float32[1,4,3,1], %zt: float32[1,4,3])");
    Graph input = g.copy();
    sink(g);
    assertEquals(0, transposes(g));
    GoldenChecks.assertValid(g, "sink");
    GoldenChecks.assertSameOutputs(input, g, O1, "sink");
  }

  @Test
  void transposeToReshapeNeedsUnknownDimsToStayInPlace() {
    Graph g = parse("""
          %y = Transpose(%x) {perm=[0,3,1,2]} @t
        """, "(%x: float32[1,49,N,1]) -> (%y: float32[1,1,49,N])");
    Match<long[]> m = new TransposeToReshape().match(named(g, "t"),
        new Rewriter(new PassContext(O1, null)));
    assertEquals("y has a dim of unknown size that moves (axis 3)", m.reason());
  }

  @Test
  void transposeToReshapeCopiesAnUnknownDimThatStays() {
    Graph g = parse("""
          %y = Transpose(%x) {perm=[0,3,1,2]} @t
        """, "(%x: float32[N,1,1,40]) -> (%y: float32[N,40,1,1])");
    Match<long[]> m = new TransposeToReshape().match(named(g, "t"),
        new Rewriter(new PassContext(O1, null)));
    assertArrayEquals(new long[] {0, 40, 1, 1}, m.value());
  }

  @Test
  void keepsTheTransposeWhenWeightsAreQuantizedAlongTheReorderedAxis() {
    Graph g = parse("""
          init %shape: int64[2] = [2, 12]
          init %scales: float32[12] = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0]
          %t: float32[2,2,2,3] = Transpose(%x) {perm=[0,2,3,1]} @t
          %f: float32[2,12] = Reshape(%t, %shape) @flatten
          %wq: float32[2,12] = DequantizeLinear(%q, %scales) {axis=1} @dq
          %z = Gemm(%f, %wq) {transB=1} @gemm
        """, "(%x: float32[2,3,2,2], %q: int8[2,12]) -> (%z: float32[2,2])");
    Match<SinkTransposeIntoMatMul.Head> m = new SinkTransposeIntoMatMul().match(named(g, "t"),
        new Rewriter(new PassContext(O1, null)));
    assertEquals("z has no constant weights with 12 rows", m.reason());
  }

  @Test
  void givesTwoIdentityOutputsTheirOwnValues() {
    Graph g = parse("""
          %t: float32[1,3,4,2] = Transpose(%x) {perm=[0,2,3,1]} @t
          %r: float32[1,3,4,2] = Relu(%t) @relu
          %y = Transpose(%r) {perm=[0,3,1,2]} @back1
          %z = Transpose(%r) {perm=[0,3,1,2]} @back2
        """, "(%x: float32[1,2,3,4]) -> (%y: float32[1,2,3,4], %z: float32[1,2,3,4])");
    Graph input = g.copy();
    sink(g);
    assertTrue(transposes(g) < 3);
    GoldenChecks.assertValid(g, "sink");
    GoldenChecks.assertSameOutputs(input, g, O1, "sink");
  }

  @Test
  void leavesAGraphInputThatWouldBecomeAGraphOutput() {
    Graph g = parse("""
          %t: float32[1,3,4,2] = Transpose(%x) {perm=[0,2,3,1]} @t
          %y = Transpose(%t) {perm=[0,3,1,2]} @back
        """, "(%x: float32[1,2,3,4]) -> (%y: float32[1,2,3,4])");
    assertEquals("sinking t removes no Transpose", match(g, "t").reason());
  }

  @Test
  void hoistsOnlyOverConstantsAndTransposes() {
    Graph g = parse("""
          %r: float32[2,3] = Relu(%u) @relu
          %k = Transpose(%r) {perm=[1,0]} @t
        """, "(%u: float32[2,3]) -> (%k: float32[3,2])");
    Match<HoistTranspose.Hoist> m = new HoistTranspose().match(named(g, "t"),
        new Rewriter(new PassContext(O1, null)));
    assertEquals("u is neither a constant nor a Transpose", m.reason());
  }
}
