package dev.convoy.transforms.optimize.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.ir.graph.Graph;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.RuleCases;
import dev.convoy.transforms.optimize.Target;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code fuse-qdq-global-average-pool} through {@link RuleCases}: DequantizeLinear,
 * GlobalAveragePool, QuantizeLinear becomes ONNX Runtime's {@code
 * com.microsoft::QLinearGlobalAveragePool} (run by ONNX Runtime) or Convoy's (expanded back),
 * keeping the outputs; not on the standard target, not where the float mean escapes, not across
 * two quantized types, not where some reachable mean lies at (or within float32 error of) a
 * rounding tie, which the original's float mean and the fused integer sum round differently
 * (qdq-20263); there the {@code cvy} target takes the group as {@code
 * convoy::QdqGlobalAveragePool}, the float32 sequence in one kernel. The fixture pools 25 values
 * of one scale: every mean is a multiple of 1/25, at least 0.02 steps from a tie.
 */
class QdqGlobalAveragePoolTest {
  private static final String GROUP = """
      graph g (%x: float32[2,3,5,5]) -> (%y: float32[2,3,1,1]) {
        opset "" 13
        init %xs: float32[] = [0.03]
        init %xz: uint8[] = [128]
        init %ys: float32[] = [0.03]
        init %yz: uint8[] = [120]
        %qx: uint8[2,3,5,5] = QuantizeLinear(%x, %xs, %xz) @qx
        %dx: float32[2,3,5,5] = DequantizeLinear(%qx, %xs, %xz) @dx
        %m: float32[2,3,1,1] = GlobalAveragePool(%dx) @pool
        %qy: uint8[2,3,1,1] = QuantizeLinear(%m, %ys, %yz) @root
        %y = DequantizeLinear(%qy, %ys, %yz) @dy
      }
      """;

  private static final RuleCases ORT = RuleCases.of(new FuseQdqGlobalAveragePool(), GROUP, "root")
      .with(OptimizeOptions.atLevel(Level.O2).withTarget(Target.STANDARD.withOrtOps(true)));

  @Test
  void fusesForOnnxRuntimeAndKeepsOutputs() {
    Graph g = ORT.firesAndKeepsOutputs();
    assertEquals(1, g.opHistogram().get("com.microsoft::QLinearGlobalAveragePool"));
  }

  @Test
  void fusesIntoAConvoyOpForCvyAndKeepsOutputs() {
    Graph g = RuleCases.of(new FuseQdqGlobalAveragePool(), GROUP, "root")
        .with(OptimizeOptions.atLevel(Level.O2).withTarget(Target.CVY)).firesAndKeepsOutputs();
    assertEquals(1, g.opHistogram().get("convoy::QLinearGlobalAveragePool"));
  }

  @Test
  void notOnTheStandardTarget() {
    RuleCases.of(new FuseQdqGlobalAveragePool(), GROUP, "root")
        .notFiring("standard ONNX has no quantized GlobalAveragePool");
  }

  @Test
  void notWhereTheMeanEscapes() {
    ORT.notWhereGraphOutput("m");
    ORT.notWhereAnotherConsumer("m");
  }

  @Test
  void notWhereAMeanOf36ValuesOfOneScaleCanBeATie() {
    // qdq-20263: 6x6 values, the same scale in and out; a sum of 18 is a mean of exactly 0.5.
    RuleCases.of(new FuseQdqGlobalAveragePool(), GROUP.replace("5,5]", "6,6]"), "root")
        .with(OptimizeOptions.atLevel(Level.O2).withTarget(Target.STANDARD.withOrtOps(true)))
        .notFiring("a sum of -4590 over 36 values gives a mean of -127.5");
  }

  @Test
  void notWhereAMeanLiesWithinFloatErrorOfATie() {
    // 20 values, scales 0.03 and 0.02: a sum of 20 is a mean of 1.5 steps but for the float32
    // rounding of the scales, far inside the bound.
    RuleCases.of(new FuseQdqGlobalAveragePool(), GROUP.replace("5,5]", "4,5]")
            .replace("init %ys: float32[] = [0.03]", "init %ys: float32[] = [0.02]"), "root")
        .with(OptimizeOptions.atLevel(Level.O2).withTarget(Target.STANDARD.withOrtOps(true)))
        .notFiring("within float32 error");
  }

  @Test
  void forCvyAtATieFusesAsTheFloatSequence() {
    for (String text : List.of(GROUP.replace("5,5]", "6,6]"), GROUP.replace("5,5]", "4,5]")
        .replace("init %ys: float32[] = [0.03]", "init %ys: float32[] = [0.02]"))) {
      Graph g = RuleCases.of(new FuseQdqGlobalAveragePool(), text, "root")
          .with(OptimizeOptions.atLevel(Level.O2).withTarget(Target.CVY)).firesAndKeepsOutputs();
      assertEquals(1, g.opHistogram().get("convoy::QdqGlobalAveragePool"));
      assertEquals(null, g.opHistogram().get("convoy::QLinearGlobalAveragePool"));
    }
  }

  @Test
  void notAcrossTwoQuantizedTypes() {
    RuleCases.of(new FuseQdqGlobalAveragePool(), GROUP.replace("init %yz: uint8[] = [120]",
        "init %yz: int8[] = [0]").replace("%qy: uint8", "%qy: int8"), "root")
        .with(OptimizeOptions.atLevel(Level.O2).withTarget(Target.CVY))
        .notFiring("DequantizeLinear dx is not per tensor of int8");
  }
}
