package dev.convoy.transforms.optimize.fuse;

import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.RuleCases;
import dev.convoy.transforms.optimize.Target;
import org.junit.jupiter.api.Test;

/**
 * {@code fuse-activation} on a LayerNormalization (a Gemm, LayerNorm, ReLU block, as openWakeWord's
 * classifiers have): the {@code convoy::LayerNormalization} with the activation keeps the outputs
 * (evaluator and ONNX Runtime on the exported expansion), from the convoy op below opset 17 and
 * from the standard op at 17, and the reasons it gives where it must not fire.
 */
class FuseLayerNormActivationTest {
  private static final OptimizeOptions CVY = OptimizeOptions.atLevel(Level.O2)
      .withTarget(Target.CVY);

  private static final String BLOCK = """
      graph g (%%x: float32[2,3,8]) -> (%%y: float32[2,3,8]%s) {
        opset "" %d
        opset "convoy" 1
        init %%g: float32[8] = [1.5, -0.5, 0.25, 2.0, -1.0, 0.75, 1.0, -2.5]
        init %%b: float32[8] = [0.1, 0.0, -0.2, 0.3, -0.05, 0.4, -0.6, 0.2]
        init %%lo: float32[%s] = [%s]
        init %%hi: float32[] = [0.5]
        %%l: float32[2,3,8]%s = %sLayerNormalization(%%x, %%g, %%b) {axis=-1} @ln
        %%y = %s @root
        %s
      }
      """;

  private static String block(String extraOutputs, int opset, String loDims, String lo,
      String stats, String domain, String act, String extra) {
    return String.format(BLOCK, extraOutputs, opset, loDims, lo, stats, domain, act, extra);
  }

  private static RuleCases cases(int opset, String domain, String act) {
    return RuleCases.of(new FuseActivation(),
        block("", opset, "", "-0.25", "", domain, act, ""), "root").with(CVY);
  }

  @Test
  void convoyLayerNormTakesTheActivationAndKeepsOutputs() {
    cases(13, "convoy::", "Relu(%l)").firesAndKeepsOutputs();
    cases(13, "convoy::", "Clip(%l, %lo, %hi)").firesAndKeepsOutputs();
    cases(13, "convoy::", "LeakyRelu(%l) {alpha=0.3}").firesAndKeepsOutputs();
  }

  @Test
  void standardLayerNormBecomesTheActivatedConvoyOpAndKeepsOutputs() {
    cases(17, "", "Sigmoid(%l)").firesAndKeepsOutputs();
  }

  @Test
  void notWhereTheNormalizedOutputEscapes() {
    RuleCases c = cases(13, "convoy::", "Relu(%l)");
    c.notWhereGraphOutput("l");
    c.notWhereAnotherConsumer("l");
  }

  @Test
  void notWhereTheMeanIsRead() {
    RuleCases.of(new FuseActivation(), block(", %m: float32[2,3,1]", 13, "", "-0.25",
        ", %mean: float32[2,3,1]", "convoy::", "Relu(%l)", "%m = Neg(%mean) @reads_mean"),
        "root").with(CVY).notFiring("a LayerNormalization with only its normalized output used");
  }

  @Test
  void notWithAClipBoundThatIsNotOneElement() {
    RuleCases.of(new FuseActivation(), block("", 13, "8", "-0.25, -0.25, -0.25, -0.25, -0.25,"
        + " -0.25, -0.25, -0.25", "", "convoy::", "Clip(%l, %lo, %hi)", ""), "root").with(CVY)
        .notFiring("Clip bounds are not one-element constants");
  }

  @Test
  void notOnTheStandardOrOrtTargets() {
    cases(17, "", "Relu(%l)").with(OptimizeOptions.atLevel(Level.O2))
        .notFiring("the target allows no fused ops");
    cases(17, "", "Relu(%l)").with(OptimizeOptions.atLevel(Level.O2).withTarget(
        Target.STANDARD.withOrtOps(true))).notFiring("or a LayerNormalization");
  }
}
