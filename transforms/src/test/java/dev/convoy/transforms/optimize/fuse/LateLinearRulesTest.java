package dev.convoy.transforms.optimize.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.convoy.ir.graph.Graph;
import dev.convoy.transforms.optimize.RuleCases;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The two O2 rules that run after the fusions, each through {@link RuleCases}:
 * {@link FuseScaleIntoMatMul} and {@link FuseCenteringIntoLinear} fire and keep the outputs at
 * two sizes of the symbolic dims, and stay where an intermediate escapes or the shapes differ.
 */
class LateLinearRulesTest {
  private static final RuleCases SCALE = RuleCases.of(new FuseScaleIntoMatMul(), """
      graph g (%x: float32[batch,seq,3]) -> (%y: float32[batch,seq,2]) {
        opset "" 13
        init %W: float32[3,2] = [0.044, 0.613, 0.921, -0.421, 0.532, 0.408]
        init %four: float32[] = [4.0]
        %h: float32[batch,seq,3] = Mul(%x, %four) @scale
        %y = MatMul(%h, %W) @root
      }
      """, "root");

  private static final RuleCases CENTER = RuleCases.of(new FuseCenteringIntoLinear(), """
      graph g (%x: float32[batch,seq,3]) -> (%y: float32[batch,seq,4]) {
        opset "" 13
        init %W: float32[3,4] = [0.323, -0.780, -0.946, -0.232, 0.493, -0.495, 0.003, -0.365, 0.693, 0.890, -0.197, 0.997]
        %l: float32[batch,seq,4] = MatMul(%x, %W) @matmul
        %m: float32[batch,seq,1] = ReduceMean(%l) {axes=[2]} @mean
        %y = Sub(%l, %m) @root
      }
      """, "root");

  @Test
  void scaleMovesIntoTheWeightsAtEveryShape() {
    Graph g = SCALE.atShapes(Map.of("x", new long[] {2, 5, 3})).firesAndKeepsOutputs();
    assertNull(g.opHistogram().get("Mul"));
    SCALE.keepsOutputsAtShapes(
        Map.of("x", new long[] {1, 1, 3}), Map.of("x", new long[] {3, 7, 3}));
  }

  @Test
  void scaleStaysWhereItEscapesOrOverflows() {
    SCALE.notWhereGraphOutput("h");
    SCALE.notWhereAnotherConsumer("h");
    SCALE.notWithConstant("W", 3e38f, "W times 4.0 is not finite");
  }

  @Test
  void centeringMovesIntoTheWeightsAtEveryShape() {
    Graph g = CENTER.atShapes(Map.of("x", new long[] {2, 5, 3})).firesAndKeepsOutputs();
    assertNull(g.opHistogram().get("ReduceMean"));
    assertEquals(1, g.opHistogram().get("MatMul"));
    CENTER.keepsOutputsAtShapes(
        Map.of("x", new long[] {1, 1, 3}), Map.of("x", new long[] {3, 7, 3}));
  }

  @Test
  void centeringStaysWhereAnIntermediateEscapesOrTheAxisDiffers() {
    CENTER.notWhereGraphOutput("m");
    CENTER.notWhereGraphOutput("l");
    CENTER.notWhereAnotherConsumer("l");
    RuleCases.of(new FuseCenteringIntoLinear(), """
        graph g (%x: float32[2,5,3]) -> (%y: float32[2,5,4]) {
          opset "" 13
          init %W: float32[3,4] = [-0.876, 0.625, 0.751, -0.698, 0.411, 0.118, 0.910, -0.580, 0.080, 0.765, 0.278, -0.382]
          %l: float32[2,5,4] = MatMul(%x, %W) @matmul
          %m: float32[2,1,4] = ReduceMean(%l) {axes=[1]} @mean
          %y = Sub(%l, %m) @root
        }
        """, "root").notFiring("mean does not average over the last axis keeping it");
  }
}
