package dev.convoy.transforms.optimize.fuse;

import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.RuleCases;
import dev.convoy.transforms.optimize.Target;
import org.junit.jupiter.api.Test;

/**
 * {@code fuse-concat-shuffle-split}: ShuffleNet V2's Concat, channel shuffle and Split as one
 * {@code convoy::ConcatShuffleSplit} keep the outputs (evaluator and ONNX Runtime on the exported
 * expansion), with and without the Concat and the Split, at batch 2 and with three groups, and
 * the reasons it gives where it must not fire.
 */
class FuseConcatShuffleSplitTest {
  private static final OptimizeOptions CVY = OptimizeOptions.atLevel(Level.O2)
      .withTarget(Target.CVY);

  /** %d batch, %d group, %d channels per group, %s the merged shape constant, %s the perm. */
  private static final String UNIT = """
      graph g (%%a: float32[%1$d,%4$d,5,3], %%b: float32[%1$d,%5$d,5,3]) -> (%%y1: float32[%1$d,%6$d,5,3], %%y2: float32[%1$d,%6$d,5,3]) {
        opset "" 13
        init %%groups: int64[5] = [%1$d, %2$d, %3$d, 5, 3]
        init %%merged: int64[4] = [%7$s]
        init %%halves: int64[2] = [%6$d, %6$d]
        %%cat: float32[%1$d,%8$d,5,3] = Concat(%%a, %%b) {axis=1} @concat
        %%r: float32[%1$d,%2$d,%3$d,5,3] = Reshape(%%cat, %%groups) @split_groups
        %%t: float32[%1$d,%3$d,%2$d,5,3] = Transpose(%%r) {perm=[%9$s]} @transpose
        %%m: float32[%1$d,%8$d,5,3] = Reshape(%%t, %%merged) @root
        %%y1, %%y2 = Split(%%m, %%halves) {axis=1} @split
      }
      """;

  private static String unit(int batch, int group, int perGroup, int a, String merged,
      String perm) {
    int c = group * perGroup;
    return String.format(UNIT, batch, group, perGroup, a, c - a, c / 2, merged, c, perm);
  }

  private static RuleCases cases(String text) {
    return RuleCases.of(new FuseConcatShuffleSplit(), text, "root").with(CVY);
  }

  @Test
  void fusesTheUnitTailAndKeepsOutputs() {
    cases(unit(1, 2, 4, 4, "1, 8, 5, 3", "0,2,1,3,4")).firesAndKeepsOutputs();
    // Unequal inputs, two images, three groups whose channels straddle both inputs and parts.
    cases(unit(2, 3, 4, 5, "2, 12, 5, 3", "0,2,1,3,4")).firesAndKeepsOutputs();
  }

  @Test
  void fusesAShuffleWithoutItsConcatOrSplit() {
    String text = unit(1, 2, 4, 4, "1, 8, 5, 3", "0,2,1,3,4");
    cases(text.replace("%y1, %y2 = Split(%m, %halves) {axis=1} @split",
        "%y1, %y2 = Split(%m, %halves) {axis=2} @split_height")
        .replace("float32[1,4,5,3], %y2: float32[1,4,5,3])",
            "float32[1,8,2,3], %y2: float32[1,8,3,3])")
        .replace("[4, 4]", "[2, 3]")).firesAndKeepsOutputs();
  }

  @Test
  void notWhereAnIntermediateEscapes() {
    RuleCases c = cases(unit(1, 2, 4, 4, "1, 8, 5, 3", "0,2,1,3,4"));
    c.notWhereGraphOutput("t");
    c.notWhereAnotherConsumer("r");
  }

  @Test
  void notWithAShapeConstantThatDoesNotRestoreTheInput() {
    cases(unit(1, 2, 4, 4, "1, 8, 15, 1", "0,2,1,3,4").replace("%m: float32[1,8,5,3]",
        "%m: float32[1,8,15,1]").replace("float32[1,4,5,3], %y2: float32[1,4,5,3]",
        "float32[1,4,15,1], %y2: float32[1,4,15,1]"))
        .notFiring("does not restore the shape that was split");
  }

  @Test
  void notWhereTheTransposeMovesOtherAxes() {
    cases(unit(1, 2, 4, 4, "1, 8, 5, 3", "0,2,1,4,3").replace(
        "%t: float32[1,4,2,5,3]", "%t: float32[1,4,2,3,5]").replace("[1, 8, 5, 3]",
        "[1, 8, 3, 5]").replace("%m: float32[1,8,5,3]", "%m: float32[1,8,3,5]"))
        .notFiring("does not restore the shape that was split");
    cases(unit(1, 2, 4, 4, "1, 8, 5, 3", "0,1,2,3,4").replace(
        "%t: float32[1,4,2,5,3]", "%t: float32[1,2,4,5,3]"))
        .notFiring("does not swap exactly the two halves of axis 1");
  }

  @Test
  void notOnTheStandardTargetNorAtO3() {
    String text = unit(1, 2, 4, 4, "1, 8, 5, 3", "0,2,1,3,4");
    cases(text).with(OptimizeOptions.atLevel(Level.O2)).notFiring("the target has no convoy ops");
    cases(text).with(OptimizeOptions.atLevel(Level.O3).withTarget(Target.CVY))
        .notFiring("O3's layout pass moves the shuffle");
  }
}
