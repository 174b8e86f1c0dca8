package dev.convoy.transforms.evalcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.testing.OrtFixture;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Relu keeps the sign of a zero and NaN as ONNX Runtime does ({@code x < 0 ? 0 : x}): Relu(-0.0)
 * is -0.0, bit for bit, on the float32 fast path and the generic (float64) kernel alike.
 */
class ReluVsOrtTest {
  @RegisterExtension static final OrtFixture ORT = new OrtFixture();

  private static final double[] X = {-0.0, 0.0, -1.0, 2.5, Double.NaN, Double.NEGATIVE_INFINITY,
      Double.POSITIVE_INFINITY, -1e-45, 1e-45, -3e38};

  @ParameterizedTest
  @ValueSource(strings = {"float32", "float64"})
  void reluOfSignedZeroNanAndInfinitiesMatchesOrtBitForBit(String type) {
    var g = GraphParser.parse("""
        graph g (%x: T[10]) -> (%y: T[10]) {
          opset "" 14
          %y = Relu(%x)
        }
        """.replace("T", type));
    Tensor x = type.equals("float32")
        ? Tensor.ofFloats(new long[] {X.length}, floats(X))
        : Tensor.ofDoubles(new long[] {X.length}, X);
    double[] want = ORT.verifier().run(OnnxExporter.toBytes(g), Map.of("x", x)).get("y")
        .toDoubleArray();
    double[] got = Evaluator.standard().runTensors(g, Map.of("x", x)).get("y").toDoubleArray();
    assertEquals(type.equals("float32") ? DType.FLOAT : DType.DOUBLE,
        Evaluator.standard().runTensors(g, Map.of("x", x)).get("y").dtype());
    // doubleToLongBits folds every NaN into one and keeps the sign of zero.
    assertEquals(Arrays.toString(Arrays.stream(want).mapToLong(Double::doubleToLongBits).toArray()),
        Arrays.toString(Arrays.stream(got).mapToLong(Double::doubleToLongBits).toArray()),
        "ORT " + Arrays.toString(want) + ", Convoy " + Arrays.toString(got));
  }

  private static float[] floats(double[] d) {
    float[] f = new float[d.length];
    for (int i = 0; i < d.length; i++) {
      f[i] = (float) d[i];
    }
    return f;
  }
}
