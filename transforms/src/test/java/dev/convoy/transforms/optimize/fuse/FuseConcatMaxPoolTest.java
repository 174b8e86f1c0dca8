package dev.convoy.transforms.optimize.fuse;

import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.RuleCases;
import dev.convoy.transforms.optimize.Target;
import org.junit.jupiter.api.Test;

/**
 * {@code fuse-concat-max-pool}: a MaxPool of a channel Concat as one {@code
 * convoy::ConcatMaxPool} keeps the outputs (evaluator, and ONNX Runtime on the exported
 * expansion) for a Fire module's tail, three inputs at batch 2 with a padded stride-1 pool; and
 * the reasons it gives where it must not fire.
 */
class FuseConcatMaxPoolTest {
  private static final OptimizeOptions CVY = OptimizeOptions.atLevel(Level.O2)
      .withTarget(Target.CVY);

  private static final String FIRE = """
      graph g (%x: float32[1,4,10,10], %w1: float32[3,4,1,1], %w3: float32[5,4,3,3]) -> (%y: float32[1,8,5,5]) {
        opset "" 12
        %e1: float32[1,3,10,10] = Conv(%x, %w1) {kernel_shape=[1,1]} @expand1x1
        %r1: float32[1,3,10,10] = Relu(%e1) @relu1
        %e3: float32[1,5,10,10] = Conv(%x, %w3) {kernel_shape=[3,3], pads=[1,1,1,1]} @expand3x3
        %r3: float32[1,5,10,10] = Relu(%e3) @relu3
        %cat: float32[1,8,10,10] = Concat(%r1, %r3) {axis=1} @concat
        %y = MaxPool(%cat) {kernel_shape=[3,3], strides=[2,2], ceil_mode=1} @root
      }
      """;

  private static final String THREE = """
      graph g (%a: float32[2,2,7,6], %b: float32[2,3,7,6], %c: float32[2,1,7,6]) -> (%y: float32[2,6,7,6]) {
        opset "" 12
        %cat: float32[2,6,7,6] = Concat(%a, %b, %c) {axis=-3} @concat
        %y = MaxPool(%cat) {kernel_shape=[3,3], pads=[1,1,1,1]} @root
      }
      """;

  private static RuleCases cases(String text) {
    return RuleCases.of(new FuseConcatMaxPool(), text, "root").with(CVY);
  }

  @Test
  void poolsEachInputIntoItsSliceAndKeepsOutputs() {
    cases(FIRE).firesAndKeepsOutputs();
    cases(THREE).firesAndKeepsOutputs();
  }

  @Test
  void notWhereTheConcatIsAGraphOutputOrReadElsewhere() {
    cases(FIRE).notWhereGraphOutput("cat");
    cases(FIRE).notWhereAnotherConsumer("cat");
  }

  @Test
  void notAlongAnotherAxis() {
    // The wrong-constant case of this rule: the Concat's axis attribute.
    cases(THREE.replace("axis=-3", "axis=0").replace("%cat: float32[2,6,7,6]",
        "%cat: float32[6,2,7,6]").replace("[2,3,7,6]", "[2,2,7,6]")
        .replace("[2,1,7,6]", "[2,2,7,6]").replace("%y: float32[2,6,7,6]",
            "%y: float32[6,2,7,6]"))
        .notFiring("cat is not concatenated along the channel axis");
  }

  @Test
  void notWhereTheIndicesAreRead() {
    cases(THREE.replace("-> (%y: float32[2,6,7,6])",
        "-> (%y: float32[2,6,7,6], %i: int64[2,6,7,6])").replace("%y = MaxPool", "%y, %i = MaxPool"))
        .notFiring("root's indices are read");
  }

  @Test
  void notOnTheStandardTargetNorAtO3() {
    cases(FIRE).with(OptimizeOptions.atLevel(Level.O2))
        .notFiring("the target has no convoy ops");
    cases(FIRE).with(OptimizeOptions.atLevel(Level.O3).withTarget(Target.CVY))
        .notFiring("O3 converts the Concat and the pool to NHWC");
  }
}
