package dev.convoy.transforms.evalcheck;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.transforms.testing.OrtFixture;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Clip and LeakyRelu keep the sign of a zero as ONNX Runtime does ({@code x < lo ? lo : x}, then
 * {@code t > hi ? hi : t}; {@code x >= 0 ? x : alpha x}): Clip(-0.0, 0, 6) and LeakyRelu(-0.0) are
 * -0.0, Clip(+0.0, -1, -0.0) is +0.0, bit for bit, on the float32 fast path and Clip's generic
 * (float64) kernel, at bounds of either sign of zero and at a min above the max (ONNX Runtime has
 * no float64 LeakyRelu).
 */
class SignedZeroClipLeakyReluVsOrtTest {
  @RegisterExtension static final OrtFixture ORT = new OrtFixture();

  private static final double[] X = {-0.0, 0.0, -1.0, 2.5, 7.0, Double.NEGATIVE_INFINITY,
      Double.POSITIVE_INFINITY, -1e-45, 1e-45, -3e38};

  @ParameterizedTest(name = "{0} {1} {2} {3}")
  @CsvSource({
      "float32, Clip, 0.0, 6.0", "float32, Clip, -0.0, 6.0", "float32, Clip, -1.0, -0.0",
      "float32, Clip, 0.0, 0.0", "float32, Clip, -0.0, 0.0", "float32, Clip, 6.0, 1.0",
      "float32, Clip, -2.0, 2.0", "float64, Clip, 0.0, 6.0", "float64, Clip, -1.0, -0.0",
      "float32, LeakyRelu, 0.1, 0", "float32, LeakyRelu, 0.0, 0", "float32, LeakyRelu, -0.5, 0"})
  void signedZerosMatchOrtBitForBit(String type, String op, String p, String q) {
    String node = op.equals("Clip")
        ? "init %lo: T[] = [" + p + "]\n  init %hi: T[] = [" + q + "]\n"
            + "  %y = Clip(%x, %lo, %hi)"
        : "%y = LeakyRelu(%x) {alpha=" + p + "}";
    Graph g = GraphParser.parse(("graph g (%x: T[10]) -> (%y: T[10]) {\n  opset \"\" 13\n  "
        + node + "\n}\n").replace("T[", type + "["));
    BitsAsOrt.assertSameBits(ORT, g, BitsAsOrt.input(type, X));
  }
}
