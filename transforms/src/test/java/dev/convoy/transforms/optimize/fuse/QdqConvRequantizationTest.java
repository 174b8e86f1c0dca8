package dev.convoy.transforms.optimize.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.PassContext;
import dev.convoy.transforms.optimize.RuleSetPass;
import dev.convoy.transforms.verify.OrtVerifier;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.StringJoiner;
import org.junit.jupiter.api.Test;

/**
 * How far {@code fuse-qdq-conv}'s integer requantization moves a QDQ convolution's output, on
 * seeded random groups (shapes, strides, pads, per-tensor and per-channel weights, bias, Relu
 * absorbed or not): ONNX Runtime on the QDQ graph against ONNX Runtime and Convoy's evaluator on
 * the QLinearConv, in quantization steps of the output. Rounding can move an output by one step
 * at most (next to a rounding tie); the test fails on more and prints how many moved at all,
 * which is what the rule's use on the standard target rests on.
 */
class QdqConvRequantizationTest {
  private static final int CASES = 200;

  @Test
  void integerRequantizationStaysWithinOneStepOfTheQdqGraph() {
    OptimizeOptions standard = OptimizeOptions.atLevel(Level.O2);
    RequantizationSteps all = RequantizationSteps.NONE;
    try (OrtVerifier runtime = new OrtVerifier()) {
      for (int seed = 0; seed < CASES; seed++) {
        Random r = new Random(seed);
        Case c = Case.random(r);
        Graph before = GraphParser.parse(c.text());
        Graph after = before.copy();
        new RuleSetPass(FuseQdqConv.NAME, List.of(new FuseClampQuantize(), new FuseQdqConv()),
            10).run(after, new PassContext(standard, null));
        assertEquals(1, after.opHistogram().get("QLinearConv"), "case " + seed
            + " did not fuse:\n" + c.text());
        all = all.plus(RequantizationSteps.measure(runtime, before, after,
            Map.of("x", c.input(r)), c.yScale(), "case " + seed));
      }
    }
    System.out.printf("fuse-qdq-conv on %d random groups: %d of %d outputs one step off in ONNX"
        + " Runtime, %d in Convoy's evaluator%n", CASES, all.ort(), all.elements(), all.eval());
  }

  /** One random QDQ convolution group. */
  private record Case(String text, float yScale, long[] xDims) {
    static Case random(Random r) {
      int c = 1 + r.nextInt(32);
      int m = 1 + r.nextInt(6);
      int k = 1 + r.nextInt(3);
      int h = k + r.nextInt(8);
      int stride = 1 + r.nextInt(2);
      int pad = r.nextInt(k);
      boolean perChannel = r.nextBoolean();
      boolean relu = r.nextBoolean();
      boolean bias = r.nextBoolean();
      // Scales that use the 8-bit ranges (inputs are N(0, 1.5)), so few outputs saturate.
      float xs = 0.02f + r.nextFloat() * 0.03f;
      int xz = 108 + r.nextInt(41);
      float[] ws = new float[perChannel ? m : 1];
      for (int i = 0; i < ws.length; i++) {
        ws[i] = 0.001f + r.nextFloat() * 0.01f;
      }
      double yStd = Math.sqrt(c * k * k) * 1.5 * 74 * ws[0];
      float ys = (float) (yStd * 6 / 255 * (0.5 + r.nextDouble()));
      int yz = relu ? 0 : 108 + r.nextInt(41);
      StringJoiner w = new StringJoiner(", ", "[", "]");
      for (int i = 0; i < m * c * k * k; i++) {
        w.add(Integer.toString(r.nextInt(256) - 128));
      }
      StringJoiner b = new StringJoiner(", ", "[", "]");
      StringJoiner bs = new StringJoiner(", ", "[", "]");
      for (int i = 0; i < m; i++) {
        b.add(Integer.toString(r.nextInt(20001) - 10000));
        bs.add(Float.toString(xs * ws[perChannel ? i : 0]));
      }
      StringJoiner wsText = new StringJoiner(", ", "[", "]");
      for (float v : ws) {
        wsText.add(Float.toString(v));
      }
      String wsType = perChannel ? "float32[" + m + "]" : "float32[]";
      String wzType = perChannel ? "int8[" + m + "]" : "int8[]";
      String wz = perChannel ? "[" + "0, ".repeat(m - 1) + "0]" : "[0]";
      int out = (h + 2 * pad - k) / stride + 1;
      String conv = (bias ? "Conv(%dx, %dw, %db)" : "Conv(%dx, %dw)");
      String text = String.join("\n",
          "graph g (%x: float32[1," + c + "," + h + "," + h + "]) -> (%y: float32[1," + m + ","
              + out + "," + out + "]) {",
          "  opset \"\" 13",
          "  init %xs: float32[] = [" + xs + "]",
          "  init %xz: uint8[] = [" + xz + "]",
          "  init %wq: int8[" + m + "," + c + "," + k + "," + k + "] = " + w,
          "  init %ws: " + wsType + " = " + wsText,
          "  init %wz: " + wzType + " = " + wz,
          "  init %bq: int32[" + m + "] = " + b,
          "  init %bs: float32[" + m + "] = " + bs,
          "  init %bz: int32[" + m + "] = [" + "0, ".repeat(m - 1) + "0]",
          "  init %ys: float32[] = [" + ys + "]",
          "  init %yz: uint8[] = [" + yz + "]",
          "  %qx: uint8[1," + c + "," + h + "," + h + "] = QuantizeLinear(%x, %xs, %xz) @qx",
          "  %dx: float32[1," + c + "," + h + "," + h + "] = DequantizeLinear(%qx, %xs, %xz) @dx",
          "  %dw: float32[" + m + "," + c + "," + k + "," + k + "] = DequantizeLinear(%wq, %ws,"
              + " %wz) {axis=0} @dw",
          "  %db: float32[" + m + "] = DequantizeLinear(%bq, %bs, %bz) {axis=0} @db",
          "  %cv: float32[1," + m + "," + out + "," + out + "] = " + conv
              + " {kernel_shape=[" + k + "," + k + "], pads=[" + pad + "," + pad + "," + pad
              + "," + pad + "], strides=[" + stride + "," + stride + "]} @conv",
          relu ? "  %rl: float32[1," + m + "," + out + "," + out + "] = Relu(%cv) @relu" : "",
          "  %qy: uint8[1," + m + "," + out + "," + out + "] = QuantizeLinear(" + (relu ? "%rl"
              : "%cv") + ", %ys, %yz) @root",
          "  %y = DequantizeLinear(%qy, %ys, %yz) @dy",
          "}");
      return new Case(text, ys, new long[] {1, c, h, h});
    }

    Tensor input(Random r) {
      float[] v = new float[(int) (xDims[1] * xDims[2] * xDims[3])];
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) (r.nextGaussian() * 1.5);
      }
      return Tensor.ofFloats(xDims, v);
    }
  }
}
