package dev.convoy.transforms.evalcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.testing.OrtFixture;
import java.util.Arrays;
import java.util.Map;

/**
 * Bit-for-bit agreement of Convoy's evaluator with ONNX Runtime on one-input graphs: the signs of
 * zeros, infinities and NaN included (every NaN compares as one).
 */
final class BitsAsOrt {
  private BitsAsOrt() {}

  /** {@code values} as a 1-D {@code float32} or {@code float64} tensor. */
  static Tensor input(String type, double[] values) {
    if (!type.equals("float32")) {
      return Tensor.ofDoubles(new long[] {values.length}, values);
    }
    float[] f = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      f[i] = (float) values[i];
    }
    return Tensor.ofFloats(new long[] {values.length}, f);
  }

  /**
   * Runs {@code g} on {@code x} (its input {@code x}) in ONNX Runtime and in Convoy's evaluator,
   * asserts that output {@code y} has the same bits in both, and returns Convoy's {@code y}.
   */
  static Tensor assertSameBits(OrtFixture ort, Graph g, Tensor x) {
    double[] want = ort.verifier().run(OnnxExporter.toBytes(g), Map.of("x", x)).get("y")
        .toDoubleArray();
    Tensor y = Evaluator.standard().runTensors(g, Map.of("x", x)).get("y");
    double[] got = y.toDoubleArray();
    // doubleToLongBits folds every NaN into one and keeps the sign of zero.
    assertEquals(Arrays.toString(Arrays.stream(want).mapToLong(Double::doubleToLongBits).toArray()),
        Arrays.toString(Arrays.stream(got).mapToLong(Double::doubleToLongBits).toArray()),
        "ORT " + Arrays.toString(want) + ", Convoy " + Arrays.toString(got));
    return y;
  }
}
