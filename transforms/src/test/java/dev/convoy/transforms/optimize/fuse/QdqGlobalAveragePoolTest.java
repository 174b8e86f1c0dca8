package dev.convoy.transforms.optimize.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.ir.graph.Graph;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.RuleCases;
import dev.convoy.transforms.optimize.Target;
import org.junit.jupiter.api.Test;

/**
 * {@code fuse-qdq-global-average-pool} through {@link RuleCases}: DequantizeLinear,
 * GlobalAveragePool, QuantizeLinear becomes ONNX Runtime's {@code
 * com.microsoft::QLinearGlobalAveragePool} (run by ONNX Runtime) or Convoy's (expanded back),
 * keeping the outputs; not on the standard target, not where the float mean escapes, not across
 * two quantized types.
 */
class QdqGlobalAveragePoolTest {
  private static final String GROUP = """
      graph g (%x: float32[2,3,4,5]) -> (%y: float32[2,3,1,1]) {
        opset "" 13
        init %xs: float32[] = [0.03]
        init %xz: uint8[] = [128]
        init %ys: float32[] = [0.02]
        init %yz: uint8[] = [120]
        %qx: uint8[2,3,4,5] = QuantizeLinear(%x, %xs, %xz) @qx
        %dx: float32[2,3,4,5] = DequantizeLinear(%qx, %xs, %xz) @dx
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
  void notAcrossTwoQuantizedTypes() {
    RuleCases.of(new FuseQdqGlobalAveragePool(), GROUP.replace("init %yz: uint8[] = [120]",
        "init %yz: int8[] = [0]").replace("%qy: uint8", "%qy: int8"), "root")
        .with(OptimizeOptions.atLevel(Level.O2).withTarget(Target.CVY))
        .notFiring("DequantizeLinear dx is not per tensor of int8");
  }
}
