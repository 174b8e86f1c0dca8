package dev.convoy.transforms.optimize.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.ir.graph.Graph;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.RuleCases;
import dev.convoy.transforms.optimize.Target;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code fuse-attention}: where it must not fire, with its reasons, and numeric checks of the
 * fused {@code convoy::Attention} (Convoy's evaluator on the fused graph, and ONNX Runtime on its
 * ONNX expansion, against the original) on the layouts and broadcasts exporters write.
 */
class FuseAttentionTest {
  private static final OptimizeOptions CVY = OptimizeOptions.atLevel(Level.O2)
      .withTarget(Target.CVY);

  /** BERT's block: 4-D heads, the scale dividing the scores, a [batch,1,1,seq] additive mask. */
  private static final String BERT = """
      graph g (%%q: float32[2,3,5,4], %%k: float32[2,3,4,6], %%v: float32[2,3,6,4],
               %%m: float32[%s]) -> (%%y: float32[2,3,5,4]) {
        opset "" 11
        init %%c: float32[] = [2.0]
        %%s: float32[2,3,5,6] = MatMul(%%q, %%k) @qk
        %%d: float32[2,3,5,6] = Div(%%s, %%c) @scale
        %%a: float32[2,3,5,6] = Add(%%d, %%m) @mask
        %%p: float32[2,3,5,6] = Softmax(%%a) {axis=3} @softmax
        %%y = MatMul(%%p, %%v) @root
      }
      """;

  private static RuleCases bert(String maskShape) {
    return RuleCases.of(new FuseAttention(), String.format(BERT, maskShape), "root").with(CVY);
  }

  @Test
  void fusesBertAttentionWithBroadcastMask() {
    Graph g = bert("2,1,1,6").firesAndKeepsOutputs();
    assertEquals(1, g.totalNodeCount(), "one convoy::Attention left");
  }

  @Test
  void fusesMasksOfEveryBroadcast() {
    bert("6").firesAndKeepsOutputs();
    bert("5,6").firesAndKeepsOutputs();
    bert("1,3,5,1").firesAndKeepsOutputs();
    bert("2,3,5,6").firesAndKeepsOutputs();
  }

  @Test
  void fusesWhereQueriesAndKeysBroadcastOverHeads() {
    RuleCases.of(new FuseAttention(), """
        graph g (%q: float32[1,5,4], %k: float32[3,4,6], %v: float32[6,4]) -> (%y: float32[3,5,4]) {
          opset "" 13
          init %c: float32[] = [0.25]
          %qs: float32[1,5,4] = Mul(%q, %c) @scale
          %s: float32[3,5,6] = MatMul(%qs, %k) @qk
          %p: float32[3,5,6] = Softmax(%s) @softmax
          %y = MatMul(%p, %v) @root
        }
        """, "root").with(CVY).firesAndKeepsOutputs();
  }

  /**
   * A block over {@code sq} query rows against 37 keys of 16 values with a per-row mask: more
   * query rows than the kernel's block of scores, and keys not a whole number of vectors.
   */
  private static RuleCases longBlock(int queries, int sq) {
    return RuleCases.of(new FuseAttention(), """
        graph g (%%q: float32[2,3,%1$d,16], %%k: float32[2,3,16,37], %%v: float32[2,3,37,16],
                 %%m: float32[%2$d,37]) -> (%%y: float32[2,3,%2$d,16]) {
          opset "" 13
          init %%c: float32[] = [4.0]
          %%s: float32[2,3,%1$d,37] = MatMul(%%q, %%k) @qk
          %%d: float32[2,3,%1$d,37] = Div(%%s, %%c) @scale
          %%a: float32[2,3,%2$d,37] = Add(%%d, %%m) @mask
          %%p: float32[2,3,%2$d,37] = Softmax(%%a) {axis=3} @softmax
          %%y = MatMul(%%p, %%v) @root
        }
        """.formatted(queries, sq), "root").with(CVY);
  }

  @Test
  void keepsOutputsOverMoreQueryRowsThanOneBlockOfScores() {
    longBlock(301, 301).firesAndKeepsOutputs();
    // One query row broadcast by the mask over all 301 rows.
    longBlock(1, 301).firesAndKeepsOutputs();
  }

  @Test
  void notWhereAnIntermediateIsReadElsewhere() {
    RuleCases cases = bert("2,1,1,6");
    cases.notWhereGraphOutput("p");
    cases.notWhereGraphOutput("a");
    cases.notWhereAnotherConsumer("p");
    cases.notWhereAnotherConsumer("d");
    cases.notWhereAnotherConsumer("s");
  }

  @Test
  void notWithAZeroScale() {
    bert("2,1,1,6").notWithConstant("c", 0f, "is not a finite nonzero float");
  }

  @Test
  void notForTheStandardTargetBelowOpset23() {
    RuleCases.of(new FuseAttention(), String.format(BERT, "2,1,1,6"), "root")
        .notFiring("ONNX's Attention needs opset 23");
  }

  private static RuleCases standard(String maskShape) {
    return RuleCases.of(new FuseAttention(), String.format(BERT, maskShape)
        .replace("opset \"\" 11", "opset \"\" 23"), "root");
  }

  @Test
  void becomesOnnxAttentionAtOpset23WhichOnnxRuntimeRuns() {
    Graph g = standard("2,3,5,6").firesAndKeepsOutputs();
    assertEquals(2, g.totalNodeCount(), "Attention and the Transpose giving it K");
    standard("5,6").firesAndKeepsOutputs();
    standard("1,3,5,6").firesAndKeepsOutputs();
    standard("2,1,5,6").firesAndKeepsOutputs();
  }

  @Test
  void becomesOneHeadOnnxAttentionOnMergedHeads() {
    Graph g = RuleCases.of(new FuseAttention(), """
        graph g (%q: float32[6,5,4], %k: float32[5,6,4], %v: float32[6,5,8]) -> (%y: float32[6,5,8]) {
          opset "" 24
          init %c: float32[] = [0.5]
          %qs: float32[6,5,4] = Div(%q, %c) @scale
          %kt: float32[6,4,5] = Transpose(%k) {perm=[1,2,0]} @keys
          %s: float32[6,5,5] = MatMul(%qs, %kt) @qk
          %p: float32[6,5,5] = Softmax(%s) @softmax
          %y = MatMul(%p, %v) @root
        }
        """, "root").firesAndKeepsOutputs();
    assertEquals(2, g.totalNodeCount(), "one Transpose [1,0,2] and the Attention");
  }

  /**
   * PyTorch's MultiheadAttention: Q, K and V split from {@code [S, B, E]} into {@code [S, B*H,
   * D]} by one Reshape target of shape arithmetic, whose merged dim no inference names ({@code
   * ?}): one Reshape target over inputs of one shape proves their batch dims equal, at any batch.
   */
  @Test
  void becomesOnnxAttentionWhereOneReshapeSplitsTheMergedBatchOfQKAndV() {
    String text = """
        graph g (%q: float32[seq,batch,12], %k: float32[seq,batch,12], %v: float32[seq,batch,12])
            -> (%y: float32[?,seq,4]) {
          opset "" 23
          init %c: float32[] = [0.5]
          init %zero: int64[1] = [0]
          init %one: int64[1] = [1]
          init %rest: int64[2] = [-1, 4]
          %shape: int64[3] = Shape(%q) @shape
          %len: int64[1] = Slice(%shape, %zero, %one) @len
          %target: int64[3] = Concat(%len, %rest) {axis=0} @target
          %q3: float32[?,?,4] = Reshape(%q, %target) @q_split
          %qh: float32[?,?,4] = Transpose(%q3) {perm=[1,0,2]} @q_heads
          %k3: float32[?,?,4] = Reshape(%k, %target) @k_split
          %kt: float32[?,4,?] = Transpose(%k3) {perm=[1,2,0]} @keys
          %v3: float32[?,?,4] = Reshape(%v, %target) @v_split
          %vh: float32[?,?,4] = Transpose(%v3) {perm=[1,0,2]} @v_heads
          %qs: float32[?,?,4] = Div(%qh, %c) @scale
          %s: float32[?,?,?] = MatMul(%qs, %kt) @qk
          %p: float32[?,?,?] = Softmax(%s) @softmax
          %y = MatMul(%p, %vh) @root
        }
        """;
    Graph g = RuleCases.of(new FuseAttention(), text, "root").atShapes(Map.of(
        "q", new long[] {5, 2, 12}, "k", new long[] {5, 2, 12}, "v", new long[] {5, 2, 12}))
        .firesAndKeepsOutputs();
    assertEquals(1, g.nodes().stream().filter(n -> n.is("Attention")).count());
    RuleCases.of(new FuseAttention(), text, "root").keepsOutputsAtShapes(
        Map.of("q", new long[] {7, 1, 12}, "k", new long[] {7, 1, 12}, "v", new long[] {7, 1, 12}),
        Map.of("q", new long[] {3, 4, 12}, "k", new long[] {3, 4, 12}, "v", new long[] {3, 4, 12}));
    RuleCases.of(new FuseAttention(), text.replace("%k3: float32[?,?,4] = Reshape(%k, %target)",
        "%k3: float32[?,?,4] = Reshape(%k, %ktarget)").replace("@target\n",
        "@target\n          %ktarget: int64[3] = Identity(%target) @ktarget\n"), "root")
        .notFiring("are not provably equal");
  }

  @Test
  void becomesOnnxAttentionAbsorbingTheTransposeOfTheKeys() {
    Graph g = RuleCases.of(new FuseAttention(), """
        graph g (%q: float32[2,3,5,4], %k: float32[2,6,3,4], %v: float32[2,3,6,4]) -> (%y: float32[2,3,5,4]) {
          opset "" 23
          init %c: float32[] = [0.5]
          %kt: float32[2,3,4,6] = Transpose(%k) {perm=[0,2,3,1]} @keys
          %s: float32[2,3,5,6] = MatMul(%q, %kt) @qk
          %d: float32[2,3,5,6] = Mul(%s, %c) @scale
          %p: float32[2,3,5,6] = Softmax(%d) @softmax
          %y = MatMul(%p, %v) @root
        }
        """, "root").firesAndKeepsOutputs();
    assertEquals(2, g.totalNodeCount(), "one Transpose [0,2,1,3] and the Attention");
  }

  @Test
  void notAsOnnxAttentionWhereTheMaskBroadcastsOverQueriesOrKeys() {
    // ONNX Runtime 1.28 rejects [2,1,1,6] (BERT's padding mask) and reads a short last dim as
    // padding: the standard target keeps the block.
    standard("2,1,1,6").notFiring("is not provably of the scores' shape");
    standard("2,3,5,1").notFiring("is not provably of the scores' shape");
    standard("6").notFiring("has no known rank from 2 to 4");
  }

  @Test
  void notAsOnnxAttentionWhereBatchDimsBroadcast() {
    RuleCases.of(new FuseAttention(), String.format(BERT, "2,1,1,6")
        .replace("opset \"\" 11", "opset \"\" 23").replace("%v: float32[2,3,6,4]", "%v: float32[1,3,6,4]"),
        "root").notFiring("are not provably equal");
  }

  @Test
  void notWhereTheSoftmaxCoercesMoreThanTheLastAxis() {
    // Below opset 13 Softmax's default axis 1 flattens every axis from 1: not attention's softmax.
    RuleCases.of(new FuseAttention(), String.format(BERT, "2,1,1,6").replace(" {axis=3}", ""),
        "root").with(CVY).notFiring("the Softmax is not over the last axis");
  }

  @Test
  void notOnIntegerOrHalfInputs() {
    RuleCases.of(new FuseAttention(), String.format(BERT, "2,1,1,6").replace("float32", "float16"),
        "root").with(CVY)
        .notFiring("is not float32");
  }
}
