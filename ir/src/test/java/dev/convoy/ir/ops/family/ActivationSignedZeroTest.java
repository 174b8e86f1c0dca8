package dev.convoy.ir.ops.family;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A fused activation (the block-wise loop fused ops run, {@link Activation#applyTo}) computes
 * bit for bit what the standalone op's definition does ({@link Activation#function}: {@code x < lo
 * ? lo : x} for Clip, {@code x >= 0 ? x : alpha x} for LeakyRelu, as ONNX Runtime does), signed
 * zeros included: a -0 input stays -0 under Clip(0, 6) and LeakyRelu, and a +0 stays +0 under a
 * -0 upper bound.
 */
class ActivationSignedZeroTest {
  private static final float[] VALUES = {-0f, 0f, -1f, 1f, 7f, -7f, 0.5f, -0.5f,
      Float.MIN_VALUE, -Float.MIN_VALUE, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY};

  @ParameterizedTest(name = "{0}({1}, {2})")
  @CsvSource({"Clip, 0, 6", "Clip, -0.0, 6", "Clip, -1, -0.0", "Clip, 0, 0", "Clip, 1, 6",
      "Clip, 6, 1", "LeakyRelu, 0.1, 0", "LeakyRelu, 0, 0", "LeakyRelu, -0.5, 0",
      "LeakyRelu, -0.0, 0"})
  void fusedActivationMatchesTheOpBitForBit(String op, float p, float q) {
    Activation act = new Activation(op, p, q);
    float[] o = VALUES.clone();
    act.applyTo(o, 0, o.length);
    for (int i = 0; i < VALUES.length; i++) {
      float want = (float) act.function().applyAsDouble(VALUES[i]);
      assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(o[i]),
          op + "(" + p + ", " + q + ") of " + VALUES[i] + ": " + o[i] + ", want " + want);
    }
  }
}
