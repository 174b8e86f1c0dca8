package dev.convoy.transforms.optimize.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.ir.graph.Graph;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.RuleCases;
import dev.convoy.transforms.optimize.Target;
import org.junit.jupiter.api.Test;

/**
 * {@code fuse-qdq-conv} through {@link RuleCases}: a QDQ convolution (per-channel weights, int32
 * bias) becomes QLinearConv and keeps the outputs in Convoy's evaluator and ONNX Runtime, also
 * with a Relu already fused into the Conv for the cvy target; it does not fire where the float
 * result escapes, where the bias scale is not {@code x_scale * w_scale}, where a Relu would not
 * be absorbed by the output range, or where ONNX Runtime has no kernel for the types.
 */
class QdqConvTest {
  private static String group(String conv, String yZero) {
    return """
        graph g (%%x: float32[1,2,5,5]) -> (%%y: float32[1,3,3,3]) {
          opset "" 13
          opset "convoy" 1
          init %%xs: float32[] = [0.03]
          init %%xz: uint8[] = [128]
          init %%wq: int8[3,2,3,3] = [12, -7, 100, -128, 5, 33, 64, -1, 0, 9, -90, 127, 1, 2, 3, -4, -5, 6, 7, 8, -9, 10, 11, -12, 13, 14, 15, -16, 17, 18, 19, 20, -21, 22, 23, 24, 25, -26, 27, 28, 29, 30, -31, 32, 33, 34, -35, 36, 37, 38, 39, -40, 41, 42]
          init %%ws: float32[3] = [0.004, 0.002, 0.005]
          init %%wz: int8[3] = [0, 0, 0]
          init %%bq: int32[3] = [300, -1200, 45]
          init %%bs: float32[3] = [1.2E-4, 6.0E-5, 1.5E-4]
          init %%ys: float32[] = [0.02]
          init %%yz: uint8[] = [%s]
          %%qx: uint8[1,2,5,5] = QuantizeLinear(%%x, %%xs, %%xz) @qx
          %%dx: float32[1,2,5,5] = DequantizeLinear(%%qx, %%xs, %%xz) @dx
          %%dw: float32[3,2,3,3] = DequantizeLinear(%%wq, %%ws, %%wz) {axis=0} @dw
          %%db: float32[3] = DequantizeLinear(%%bq, %%bs) {axis=0} @db
          %%cv: float32[1,3,3,3] = %s(%%dx, %%dw, %%db) {kernel_shape=[3,3], pads=[0,0,0,0]} @conv
          %%qy: uint8[1,3,3,3] = QuantizeLinear(%%cv, %%ys, %%yz) @root
          %%y = DequantizeLinear(%%qy, %%ys, %%yz) @dy
        }
        """.formatted(yZero, conv);
  }

  private static final RuleCases CASES =
      RuleCases.of(new FuseQdqConv(), group("Conv", "120"), "root");

  @Test
  void fusesIntoQLinearConvAndKeepsOutputs() {
    Graph g = CASES.firesAndKeepsOutputs();
    assertEquals(1, g.opHistogram().get("QLinearConv"));
    assertEquals(null, g.opHistogram().get("Conv"));
  }

  @Test
  void absorbsAFusedReluWhenTheZeroPointIsTheMinimum() {
    Graph g = RuleCases.of(new FuseQdqConv(), group("convoy::FusedConv", "0")
            .replace("{kernel_shape", "{activation=\"Relu\", kernel_shape"), "root")
        .with(OptimizeOptions.atLevel(Level.O2).withTarget(Target.CVY))
        .firesAndKeepsOutputs();
    assertEquals(1, g.opHistogram().get("QLinearConv"));
  }

  @Test
  void notWithAReluTheOutputRangeDoesNotAbsorb() {
    RuleCases.of(new FuseQdqConv(), group("convoy::FusedConv", "120")
            .replace("{kernel_shape", "{activation=\"Relu\", kernel_shape"), "root")
        .notFiring("conv's activation Relu is not a Relu that the output range absorbs");
  }

  @Test
  void notWhereTheFloatResultEscapes() {
    CASES.notWhereGraphOutput("cv");
    CASES.notWhereAnotherConsumer("cv");
  }

  @Test
  void notWithABiasScaleOtherThanTheProductOfTheScales() {
    CASES.notWithConstant("bs", 1e-4f, "the bias scale of db is");
  }

  @Test
  void notWithAPerChannelInputScale() {
    CASES.notWithConstant("ws", 0.003f, "the bias scale of db is");
    RuleCases.of(new FuseQdqConv(), group("Conv", "120").replace("init %xs: float32[] = [0.03]",
        "init %xs: float32[2] = [0.03, 0.03]").replace("%xz: uint8[] = [128]",
        "%xz: uint8[2] = [128, 128]").replace("(%qx, %xs, %xz) @dx", "(%qx, %xs, %xz) {axis=1} @dx")
        .replace("(%x, %xs, %xz) @qx", "(%x, %xs, %xz) {axis=1} @qx"), "root")
        .notFiring("DequantizeLinear dx is not per-tensor 8-bit");
  }

  /**
   * Found by the differential test (qdq-1082 and others): an int8 input quantized to a uint8 output
   * became a QLinearConv that ONNX Runtime has no kernel for (it refused to load the result).
   */
  @Test
  void notWhereTheOutputTypeDiffersFromTheInputType() {
    String int8Input = group("Conv", "120").replace("init %xz: uint8[] = [128]",
        "init %xz: int8[] = [3]").replace("%qx: uint8[1,2,5,5]", "%qx: int8[1,2,5,5]");
    RuleCases.of(new FuseQdqConv(), int8Input, "root")
        .notFiring("conv quantizes int8 x int8 -> uint8, not uint8 x (u)int8 -> uint8");
  }
}
