package dev.convoy.transforms.optimize.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.runtime.Parallel;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.RuleCases;
import dev.convoy.transforms.optimize.RuleSetPass;
import dev.convoy.transforms.optimize.PassContext;
import dev.convoy.transforms.optimize.Target;
import dev.convoy.transforms.verify.SeededInputs;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code fuse-attention-heads}: the merged-heads {@code convoy::Attention} computes what the head
 * split, the split-form op and the head merge computed (Convoy's evaluator bit for bit; ONNX
 * Runtime on its ONNX expansion at two input shapes), and where the rule must not fire, with its
 * reasons.
 */
class FuseAttentionHeadsTest {
  private static final OptimizeOptions CVY = OptimizeOptions.atLevel(Level.O2)
      .withTarget(Target.CVY);

  /** BERT's head split and merge around the fused core; {@code %s}: the split target. */
  private static final String BERT = """
      graph g (%%q: float32[%1$s], %%k: float32[%1$s], %%v: float32[%1$s],
               %%m: float32[%2$s]) -> (%%y: float32[%1$s]) {
        opset "" 13
        opset "convoy" 1
        init %%split: int64[4] = [0, 0, 3, 4]
        init %%merge: int64[3] = [0, 0, 12]
        %%q4: float32[%3$s,3,4] = Reshape(%%q, %%split) @q_split
        %%qh: float32[%4$s,3,%5$s,4] = Transpose(%%q4) {perm=[0,2,1,3]} @q_heads
        %%k4: float32[%3$s,3,4] = Reshape(%%k, %%split) @k_split
        %%kt: float32[%4$s,3,4,%5$s] = Transpose(%%k4) {perm=[0,2,3,1]} @k_heads
        %%v4: float32[%3$s,3,4] = Reshape(%%v, %%split) @v_split
        %%vh: float32[%4$s,3,%5$s,4] = Transpose(%%v4) {perm=[0,2,1,3]} @v_heads
        %%a: float32[%4$s,3,%5$s,4] = convoy::Attention(%%qh, %%kt, %%vh, %%m) {scale=0.5} @root
        %%a4: float32[%3$s,3,4] = Transpose(%%a) {perm=[0,2,1,3]} @merge_heads
        %%y = Reshape(%%a4, %%merge) @merge
      }
      """;

  private static String bert(String b, String s, String mask) {
    return String.format(BERT, b + "," + s + ",12", mask, b + "," + s, b, s);
  }

  private static RuleCases cases(String text) {
    return RuleCases.of(new FuseAttentionHeads(), text, "root").with(CVY);
  }

  @Test
  void takesTheHeadSplitAndMergeIntoOneOp() {
    Graph g = cases(bert("2", "5", "2,1,1,5")).firesAndKeepsOutputs();
    assertEquals(1, g.totalNodeCount(), "one convoy::Attention left");
  }

  @Test
  void keepsOutputsAtTwoShapesUnderDynamicDims() {
    RuleCases dynamic = cases(bert("batch", "seq", "batch,1,1,seq"));
    dynamic.keepsOutputsAtShapes(
        Map.of("q", new long[] {1, 7, 12}, "k", new long[] {1, 7, 12}, "v", new long[] {1, 7, 12},
            "m", new long[] {1, 1, 1, 7}),
        Map.of("q", new long[] {3, 2, 12}, "k", new long[] {3, 2, 12}, "v", new long[] {3, 2, 12},
            "m", new long[] {3, 1, 1, 2}));
  }

  @Test
  void fusesMasksOfEveryBroadcastTheScoresKeep() {
    cases(bert("2", "5", "5")).firesAndKeepsOutputs();
    cases(bert("2", "5", "5,5")).firesAndKeepsOutputs();
    cases(bert("2", "5", "1,3,5,5")).firesAndKeepsOutputs();
    cases(bert("2", "5", "2,3,5,1")).firesAndKeepsOutputs();
  }

  @Test
  void mergedHeadsAgreeBitForBitWithTheSplitForm() {
    Graph before = GraphParser.parse(bert("2", "9", "2,1,1,9"));
    Graph after = before.copy();
    new RuleSetPass("heads", List.of(new FuseAttentionHeads()), 10)
        .run(after, new PassContext(CVY, null));
    assertEquals(1, after.totalNodeCount());
    Map<String, Tensor> in = SeededInputs.generate(before, Map.of());
    Evaluator ev = new Evaluator(OpCatalog.standard(), Parallel.of(1));
    assertArrayEquals(ev.runTensors(before, in).get("y").toFloatArray(),
        ev.runTensors(after, in).get("y").toFloatArray());
  }

  @Test
  void notWhereAnIntermediateIsReadElsewhere() {
    RuleCases c = cases(bert("2", "5", "2,1,1,5"));
    c.notWhereGraphOutput("qh");
    c.notWhereGraphOutput("a4");
    c.notWhereAnotherConsumer("k4");
    c.notWhereAnotherConsumer("vh");
    c.notWhereAnotherConsumer("a");
  }

  @Test
  void notWhereTheTargetSplitsTheSequenceInstead() {
    // [2, 6, 12] to [2, 3, 2, 12]: heads of 12 cut from the sequence, not from the hidden dim.
    cases("""
        graph g (%q: float32[2,6,12], %k: float32[2,6,12], %v: float32[2,6,12]) -> (%y: float32[2,3,24]) {
          opset "" 13
          opset "convoy" 1
          init %split: int64[4] = [0, 3, 2, 12]
          init %merge: int64[3] = [0, 0, 24]
          %q4: float32[2,3,2,12] = Reshape(%q, %split) @q_split
          %qh: float32[2,2,3,12] = Transpose(%q4) {perm=[0,2,1,3]} @q_heads
          %k4: float32[2,3,2,12] = Reshape(%k, %split) @k_split
          %kt: float32[2,2,12,3] = Transpose(%k4) {perm=[0,2,3,1]} @k_heads
          %v4: float32[2,3,2,12] = Reshape(%v, %split) @v_split
          %vh: float32[2,2,3,12] = Transpose(%v4) {perm=[0,2,1,3]} @v_heads
          %a: float32[2,2,3,12] = convoy::Attention(%qh, %kt, %vh) {scale=0.5} @root
          %a4: float32[2,3,2,12] = Transpose(%a) {perm=[0,2,1,3]} @merge_heads
          %y = Reshape(%a4, %merge) @merge
        }
        """).notFiring("does not provably keep dim 1 of q");
  }

  @Test
  void notWhereTheHeadMergeIsAnotherReshape() {
    cases(bert("2", "5", "2,1,1,5")
        .replace("%y = Reshape(%a4, %merge) @merge",
            "%y = Reshape(%a4, %merge) {allowzero=1} @merge"))
        .notFiring("does not provably keep dim 0");
  }

  @Test
  void notWhereTheMaskAddsQueryRows() {
    cases(bert("2", "5", "2,1,1,5").replace("%m: float32[2,1,1,5]", "%m: float32[2,1,5,5]")
        .replace("%q: float32[2,5,12]", "%q: float32[2,1,12]")
        .replace("%q4: float32[2,5,3,4]", "%q4: float32[2,1,3,4]")
        .replace("%qh: float32[2,3,5,4]", "%qh: float32[2,3,1,4]"))
        .notFiring("may broadcast the scores' dim 2");
  }
}
