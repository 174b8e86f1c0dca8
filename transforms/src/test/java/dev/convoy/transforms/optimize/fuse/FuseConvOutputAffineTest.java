package dev.convoy.transforms.optimize.fuse;

import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.RuleCases;
import dev.convoy.transforms.optimize.Target;
import org.junit.jupiter.api.Test;

/**
 * {@code fuse-conv-output-affine}: the scalar Mul and Add after an activated FusedConv keep the
 * outputs (evaluator and ONNX Runtime, on the exported expansion), and the reasons it gives where
 * it must not fire.
 */
class FuseConvOutputAffineTest {
  private static final OptimizeOptions CVY = OptimizeOptions.atLevel(Level.O2)
      .withTarget(Target.CVY);

  private static final String AFFINE = """
      graph g (%%x: float32[1,3,7,6]) -> (%%y: float32[1,4,7,6]) {
        opset "" 13
        opset "convoy" 1
        init %%W: float32[4,3,3,3] = [%s]
        init %%B: float32[4] = [0.1, -0.3, 0.7, -2.0]
        init %%a: float32[%s] = [%s]
        init %%b: float32[] = [-0.0075732437]
        %%h: float32[1,4,7,6] = convoy::FusedConv(%%x, %%W, %%B) {activation="%s", pads=[1,1,1,1]} @conv
        %%m: float32[1,4,7,6] = Mul(%%a, %%h) @root
        %%y = Add(%%m, %%b) @add
      }
      """;

  private static String weights() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 108; i++) {
      sb.append(i == 0 ? "" : ", ").append((float) Math.sin(i * 0.37) * 0.5f);
    }
    return sb.toString();
  }

  private static RuleCases cases(String scaleDims, String scale, String act) {
    return RuleCases.of(new FuseConvOutputAffine(),
        String.format(AFFINE, weights(), scaleDims, scale, act), "root").with(CVY);
  }

  @Test
  void foldsTheAffineBlockIntoTheConvAndKeepsOutputs() {
    cases("1", "0.4763231", "HardSwish").firesAndKeepsOutputs();
    cases("1", "-3.25", "Sigmoid").firesAndKeepsOutputs();
  }

  @Test
  void notWhereTheActivatedOutputEscapes() {
    RuleCases c = cases("1", "0.4763231", "HardSwish");
    c.notWhereGraphOutput("h");
    c.notWhereAnotherConsumer("h");
  }

  @Test
  void notWithAPerChannelConstant() {
    cases("4,1,1", "0.5, 2.0, -1.0, 3.0", "Relu")
        .notFiring("neither operand of root is a one-element constant");
  }

  @Test
  void notWithoutAnActivation() {
    cases("1", "0.4763231", "").notFiring("conv has no activation");
  }

  @Test
  void notOnTheStandardTarget() {
    cases("1", "0.4763231", "Relu").with(OptimizeOptions.atLevel(Level.O2))
        .notFiring("the target has no convoy ops");
  }
}
