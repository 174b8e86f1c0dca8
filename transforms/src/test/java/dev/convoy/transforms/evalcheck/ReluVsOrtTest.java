package dev.convoy.transforms.evalcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.transforms.testing.OrtFixture;
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
    Tensor y = BitsAsOrt.assertSameBits(ORT, g, BitsAsOrt.input(type, X));
    assertEquals(type.equals("float32") ? DType.FLOAT : DType.DOUBLE, y.dtype());
  }
}
