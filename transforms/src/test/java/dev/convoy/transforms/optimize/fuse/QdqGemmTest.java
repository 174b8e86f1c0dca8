package dev.convoy.transforms.optimize.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.ir.graph.Graph;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.RuleCases;
import dev.convoy.transforms.optimize.Target;
import org.junit.jupiter.api.Test;

/**
 * {@code fuse-qdq-gemm} through {@link RuleCases}: a QDQ Gemm (transB, per-column weights, int32
 * bias) becomes ONNX Runtime's {@code com.microsoft::QGemm} (which ONNX Runtime then runs) or
 * Convoy's {@code QGemm} (expanded back to the QDQ group for ONNX Runtime), keeping the outputs;
 * it does not fire on the standard target, where the float result escapes, or with a bias scale
 * other than {@code a_scale * b_scale}.
 */
class QdqGemmTest {
  private static final String GROUP = """
      graph g (%x: float32[2,4]) -> (%y: float32[2,3]) {
        opset "" 13
        init %xs: float32[] = [0.03]
        init %xz: uint8[] = [128]
        init %wq: int8[3,4] = [12, -7, 100, -128, 5, 33, 64, -1, 0, 9, -90, 127]
        init %ws: float32[3] = [0.004, 0.002, 0.005]
        init %wz: int8[3] = [0, 0, 0]
        init %bq: int32[3] = [300, -1200, 45]
        init %bs: float32[3] = [1.2E-4, 6.0E-5, 1.5E-4]
        init %ys: float32[] = [0.02]
        init %yz: uint8[] = [120]
        %qx: uint8[2,4] = QuantizeLinear(%x, %xs, %xz) @qx
        %dx: float32[2,4] = DequantizeLinear(%qx, %xs, %xz) @dx
        %dw: float32[3,4] = DequantizeLinear(%wq, %ws, %wz) {axis=0} @dw
        %db: float32[3] = DequantizeLinear(%bq, %bs) {axis=0} @db
        %gm: float32[2,3] = Gemm(%dx, %dw, %db) {transB=1} @gemm
        %qy: uint8[2,3] = QuantizeLinear(%gm, %ys, %yz) @root
        %y = DequantizeLinear(%qy, %ys, %yz) @dy
      }
      """;

  private static final RuleCases ORT = RuleCases.of(new FuseQdqGemm(), GROUP, "root")
      .with(OptimizeOptions.atLevel(Level.O2).withTarget(Target.STANDARD.withOrtOps(true)));

  @Test
  void fusesIntoOnnxRuntimesQGemmAndKeepsOutputs() {
    Graph g = ORT.firesAndKeepsOutputs();
    assertEquals(1, g.opHistogram().get("com.microsoft::QGemm"));
    assertEquals(null, g.opHistogram().get("Gemm"));
  }

  @Test
  void fusesIntoAConvoyQGemmForCvyAndKeepsOutputs() {
    Graph g = RuleCases.of(new FuseQdqGemm(), GROUP, "root")
        .with(OptimizeOptions.atLevel(Level.O2).withTarget(Target.CVY)).firesAndKeepsOutputs();
    assertEquals(1, g.opHistogram().get("convoy::QGemm"));
  }

  @Test
  void notOnTheStandardTarget() {
    RuleCases.of(new FuseQdqGemm(), GROUP, "root")
        .notFiring("standard ONNX has no quantized Gemm with a bias");
  }

  @Test
  void notWhereTheFloatResultEscapes() {
    ORT.notWhereGraphOutput("gm");
    ORT.notWhereAnotherConsumer("gm");
  }

  @Test
  void notWithABiasScaleOtherThanTheProductOfTheScales() {
    ORT.notWithConstant("bs", 1e-4f, "the bias scale of db is");
  }

  @Test
  void notWithAScaledBias() {
    RuleCases.of(new FuseQdqGemm(), GROUP.replace("{transB=1}", "{beta=0.5, transB=1}"), "root")
        .with(OptimizeOptions.atLevel(Level.O2).withTarget(Target.CVY))
        .notFiring("gemm transposes A or scales the bias");
  }
}
