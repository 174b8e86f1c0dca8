package dev.convoy.ir.ops.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link RowMax#maxInto} (the Vector API path where the module is present, as under surefire)
 * gives {@link Math#max} of each pair bit for bit: NaN on either side, +0.0 over -0.0 in either
 * order, infinities, and lengths with and without a vector tail, at offsets in both arrays.
 */
class RowMaxTest {
  private static float pick(Random r) {
    return switch (r.nextInt(8)) {
      case 0 -> Float.NaN;
      case 1 -> -0f;
      case 2 -> 0f;
      case 3 -> Float.NEGATIVE_INFINITY;
      case 4 -> Float.POSITIVE_INFINITY;
      default -> (float) r.nextGaussian();
    };
  }

  @ParameterizedTest(name = "n = {0}")
  @ValueSource(ints = {0, 1, 7, 16, 31, 64, 109, 333})
  void equalsMathMaxPerElement(int n) {
    Random r = new Random(n);
    float[] acc = new float[n + 5];
    float[] v = new float[n + 9];
    for (int i = 0; i < acc.length; i++) {
      acc[i] = pick(r);
    }
    for (int i = 0; i < v.length; i++) {
      v[i] = pick(r);
    }
    float[] want = acc.clone();
    for (int j = 0; j < n; j++) {
      want[3 + j] = Math.max(acc[3 + j], v[7 + j]);
    }
    RowMax.maxInto(acc, 3, v, 7, n);
    assertArrayEquals(want, acc);
  }

  @ParameterizedTest(name = "{0} first")
  @ValueSource(floats = {0f, -0f})
  void positiveZeroWinsInEitherOrder(float first) {
    float[] acc = new float[64];
    float[] v = new float[64];
    java.util.Arrays.fill(acc, first);
    java.util.Arrays.fill(v, first == 0f && 1 / first > 0 ? -0f : 0f);
    RowMax.maxInto(acc, 0, v, 0, 64);
    for (float e : acc) {
      assertEquals(Float.floatToIntBits(0f), Float.floatToIntBits(e));
    }
  }
}
