package dev.convoy.transforms.optimize.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.optimize.Optimizer;
import dev.convoy.transforms.verify.OrtVerifier;
import dev.convoy.transforms.verify.SeededInputs;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.RuleCases;
import dev.convoy.transforms.optimize.Target;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code fuse-multi-head-attention}: ONNX Runtime loads the {@code com.microsoft} op it writes and
 * matches the original block (and so does Convoy's evaluator) with each mask broadcast, at two
 * input shapes under dynamic dims; where it must not fire, with its reasons.
 */
class FuseMultiHeadAttentionTest {
  private static final OptimizeOptions ORT = OptimizeOptions.atLevel(Level.O2)
      .withTarget(Target.STANDARD.withOrtOps(true));

  /** BERT's block: {@code %1$s} the opset, {@code %2$s} the mask's shape, B and S. */
  private static final String BERT = """
      graph g (%%q: float32[%3$s,%4$s,12], %%k: float32[%3$s,%4$s,12], %%v: float32[%3$s,%4$s,12],
               %%m: float32[%2$s]) -> (%%y: float32[%3$s,%4$s,12]) {
        opset "" %1$s
        init %%split: int64[4] = [0, 0, 3, 4]
        init %%merge: int64[3] = [0, 0, 12]
        init %%c: float32[] = [2.0]
        %%q4: float32[%3$s,%4$s,3,4] = Reshape(%%q, %%split) @q_split
        %%qh: float32[%3$s,3,%4$s,4] = Transpose(%%q4) {perm=[0,2,1,3]} @q_heads
        %%k4: float32[%3$s,%4$s,3,4] = Reshape(%%k, %%split) @k_split
        %%kt: float32[%3$s,3,4,%4$s] = Transpose(%%k4) {perm=[0,2,3,1]} @k_heads
        %%v4: float32[%3$s,%4$s,3,4] = Reshape(%%v, %%split) @v_split
        %%vh: float32[%3$s,3,%4$s,4] = Transpose(%%v4) {perm=[0,2,1,3]} @v_heads
        %%s: float32[%3$s,3,%4$s,%4$s] = MatMul(%%qh, %%kt) @qk
        %%d: float32[%3$s,3,%4$s,%4$s] = Div(%%s, %%c) @scale
        %%a: float32[%3$s,3,%4$s,%4$s] = Add(%%d, %%m) @mask
        %%p: float32[%3$s,3,%4$s,%4$s] = Softmax(%%a) {axis=-1} @softmax
        %%o: float32[%3$s,3,%4$s,4] = MatMul(%%p, %%vh) @root
        %%o4: float32[%3$s,%4$s,3,4] = Transpose(%%o) {perm=[0,2,1,3]} @merge_heads
        %%y = Reshape(%%o4, %%merge) @merge
      }
      """;

  private static RuleCases cases(String b, String s, String mask) {
    return RuleCases.of(new FuseMultiHeadAttention(), String.format(BERT, 13, mask, b, s),
        "root").with(ORT);
  }

  @Test
  void becomesMultiHeadAttentionWhichOnnxRuntimeRuns() {
    Graph g = cases("2", "5", "2,3,5,5").firesAndKeepsOutputs();
    assertEquals(1, g.totalNodeCount(), "one MultiHeadAttention, the mask as it is");
  }

  @Test
  void expandsMasksThatBroadcastOverQueriesOrKeys() {
    Graph g = cases("2", "5", "2,1,1,5").firesAndKeepsOutputs();
    assertEquals(5, g.totalNodeCount(), "Shape, Slice, Concat and Expand of the mask, and the op");
    cases("2", "5", "5").firesAndKeepsOutputs();
    cases("2", "5", "1,3,5,1").firesAndKeepsOutputs();
    cases("2", "5", "5,5").firesAndKeepsOutputs();
  }

  @Test
  void keepsOutputsAtTwoShapesUnderDynamicDims() {
    cases("batch", "seq", "batch,1,1,seq").keepsOutputsAtShapes(
        Map.of("q", new long[] {1, 7, 12}, "k", new long[] {1, 7, 12}, "v", new long[] {1, 7, 12},
            "m", new long[] {1, 1, 1, 7}),
        Map.of("q", new long[] {3, 2, 12}, "k", new long[] {3, 2, 12}, "v", new long[] {3, 2, 12},
            "m", new long[] {3, 1, 1, 2}));
  }

  @Test
  void notWhereAnIntermediateIsReadElsewhere() {
    RuleCases c = cases("2", "5", "2,1,1,5");
    c.notWhereGraphOutput("p");
    c.notWhereGraphOutput("qh");
    c.notWhereGraphOutput("o4");
    c.notWhereAnotherConsumer("d");
    c.notWhereAnotherConsumer("v4");
    c.notWhereAnotherConsumer("o");
  }

  @Test
  void notWithAZeroScale() {
    cases("2", "5", "2,1,1,5").notWithConstant("c", 0f, "is not a finite nonzero float");
  }

  @Test
  void notForOtherTargets() {
    RuleCases.of(new FuseMultiHeadAttention(), String.format(BERT, 13, "2,1,1,5", "2", "5"),
        "root").notFiring("ONNX's Attention needs opset 23");
    RuleCases.of(new FuseMultiHeadAttention(), String.format(BERT, 23, "2,1,1,5", "2", "5"),
        "root").with(OptimizeOptions.atLevel(Level.O2).withTarget(Target.CVY))
        .notFiring("the target writes convoy ops");
  }

  @Test
  void becomesOnnxAttentionInItsThreeDimensionalFormAtOpset23() {
    for (String mask : List.of("2,3,5,5", "2,1,1,5", "5,5")) {
      Graph g = RuleCases.of(new FuseMultiHeadAttention(), String.format(BERT, 23, mask, "2", "5"),
          "root").firesAndKeepsOutputs();
      Node attention = g.nodes().stream().filter(n -> n.is("Attention")).findFirst().orElseThrow();
      assertEquals("", attention.domain(), "ONNX's own Attention");
      assertEquals(3, attention.intAttr("q_num_heads", 0));
      assertEquals(3, attention.intAttr("kv_num_heads", 0));
      assertTrue(g.nodes().stream().allMatch(n -> n.domain().isEmpty()), "standard ops only");
    }
  }

  /**
   * Two self-attention layers over one {@code [B, 1, 1, S]} padding mask, the second reading
   * projections of the first's output whose length is unknown ({@code ?}): each layer's queries
   * and keys are provably the same rows, so both expansions read the mask's own length and O2
   * keeps one: for {@code --onnx-ops ort} (MultiHeadAttention) and for standard ONNX at opset 23
   * (Attention).
   */
  @Test
  void layersShareOneMaskExpansion() {
    layersShareOneMaskExpansion(13, ORT, "MultiHeadAttention");
    layersShareOneMaskExpansion(23, OptimizeOptions.atLevel(Level.O2), "Attention");
  }

  private static void layersShareOneMaskExpansion(int opset, OptimizeOptions options, String op) {
    String layer = """
          %%%1$sq: float32[batch,?,12] = MatMul(%%%2$s, %%w) @%1$sq_proj
          %%%1$sk: float32[batch,?,12] = MatMul(%%%2$s, %%w2) @%1$sk_proj
          %%%1$sv: float32[batch,?,12] = MatMul(%%%2$s, %%w3) @%1$sv_proj
          %%%1$sq4: float32[batch,?,3,4] = Reshape(%%%1$sq, %%split) @%1$sq_split
          %%%1$sqh: float32[batch,3,?,4] = Transpose(%%%1$sq4) {perm=[0,2,1,3]} @%1$sq_heads
          %%%1$sk4: float32[batch,?,3,4] = Reshape(%%%1$sk, %%split) @%1$sk_split
          %%%1$skt: float32[batch,3,4,?] = Transpose(%%%1$sk4) {perm=[0,2,3,1]} @%1$sk_heads
          %%%1$sv4: float32[batch,?,3,4] = Reshape(%%%1$sv, %%split) @%1$sv_split
          %%%1$svh: float32[batch,3,?,4] = Transpose(%%%1$sv4) {perm=[0,2,1,3]} @%1$sv_heads
          %%%1$ss: float32[batch,3,?,?] = MatMul(%%%1$sqh, %%%1$skt) @%1$sqk
          %%%1$sd: float32[batch,3,?,?] = Div(%%%1$ss, %%c) @%1$sscale
          %%%1$sa: float32[batch,3,?,?] = Add(%%%1$sd, %%m) @%1$smask
          %%%1$sp: float32[batch,3,?,?] = Softmax(%%%1$sa) {axis=-1} @%1$ssoftmax
          %%%1$so: float32[batch,3,?,4] = MatMul(%%%1$sp, %%%1$svh) @%1$sroot
          %%%1$so4: float32[batch,?,3,4] = Transpose(%%%1$so) {perm=[0,2,1,3]} @%1$smerge_heads
          %%%1$sy: float32[batch,?,12] = Reshape(%%%1$so4, %%merge) @%1$smerge
        """;
    String text = String.format("""
        graph g (%%x: float32[batch,?,12], %%m: float32[batch,1,1,seq]) -> (%%by: float32[batch,?,12]) {
          opset "" %d
          init %%split: int64[4] = [0, 0, 3, 4]
          init %%merge: int64[3] = [0, 0, 12]
          init %%c: float32[] = [2.0]
          init %%w: float32[12,12] = %s
          init %%w2: float32[12,12] = %s
          init %%w3: float32[12,12] = %s
        %s%s}
        """, opset, weights(0.05f), weights(-0.03f), weights(0.02f), String.format(layer, "a", "x"),
        String.format(layer, "b", "ay"));
    Graph before = GraphParser.parse(text);
    Graph g = Optimizer.optimize(before, options).graph();
    assertEquals(2, count(g, op), "both layers fused");
    assertEquals(1, count(g, "Expand"), "one expansion of the mask for both layers");
    Map<String, long[]> shapes = Map.of("x", new long[] {2, 5, 12}, "m", new long[] {2, 1, 1, 5});
    try (OrtVerifier ort = new OrtVerifier()) {
      var v = ort.compare(OnnxExporter.toBytes(before), OnnxExporter.toBytes(g),
          SeededInputs.generate(before, shapes));
      assertTrue(v.pass(), "ONNX Runtime's outputs changed: " + v.firstFailure());
    }
  }

  /** Cross-attention (queries and keys of unrelated lengths): the length comes from Q. */
  @Test
  void crossAttentionReadsTheQueryLength() {
    Graph g = RuleCases.of(new FuseMultiHeadAttention(),
        String.format(BERT, 13, "2,1,1,5", "2", "5").replace("%k: float32[2,5,12]",
            "%k: float32[2,kseq,12]").replace("%kt: float32[2,3,4,5]", "%kt: float32[2,3,4,kseq]"),
        "root").with(ORT).atShapes(Map.of("q", new long[] {2, 5, 12}, "k", new long[] {2, 5, 12},
            "v", new long[] {2, 5, 12}, "m", new long[] {2, 1, 1, 5})).firesAndKeepsOutputs();
    Node shape = g.nodes().stream().filter(n -> n.is("Shape")).findFirst().orElseThrow();
    assertEquals("q", shape.input(0).name(), "the query length from Q itself");
  }

  private static String weights(float step) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < 144; i++) {
      b.append(i == 0 ? "" : ", ").append(((i * 7) % 13 - 6) * step);
    }
    return b.append("]").toString();
  }

  private static long count(Graph g, String op) {
    long[] n = {0};
    g.forEachNode(node -> n[0] += node.opType().equals(op) ? 1 : 0);
    return n[0];
  }
}
