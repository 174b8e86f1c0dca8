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
 * {@code fuse-multi-head-attention}: ONNX Runtime loads the {@code com.microsoft} op it writes and
 * matches the original block (and so does Convoy's evaluator) with each mask broadcast, at two
 * input shapes under dynamic dims; where it must not fire, with its reasons.
 */
class FuseMultiHeadAttentionTest {
  private static final OptimizeOptions ORT = OptimizeOptions.atLevel(Level.O2)
      .withTarget(Target.STANDARD.withOrtOps(true));

  /** BERT's block: {@code %1$s} the merged shape, {@code %2$s} the mask's, B and S. */
  private static final String BERT = """
      graph g (%%q: float32[%3$s,%4$s,12], %%k: float32[%3$s,%4$s,12], %%v: float32[%3$s,%4$s,12],
               %%m: float32[%2$s]) -> (%%y: float32[%3$s,%4$s,12]) {
        opset "" 13
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
    return RuleCases.of(new FuseMultiHeadAttention(), String.format(BERT, null, mask, b, s),
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
    RuleCases.of(new FuseMultiHeadAttention(), String.format(BERT, null, "2,1,1,5", "2", "5"),
        "root").notFiring("does not write ONNX Runtime's ops");
    RuleCases.of(new FuseMultiHeadAttention(), String.format(BERT, null, "2,1,1,5", "2", "5"),
        "root").with(OptimizeOptions.atLevel(Level.O2).withTarget(Target.CVY))
        .notFiring("does not write ONNX Runtime's ops");
  }
}
