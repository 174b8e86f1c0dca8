package dev.convoy.ir.ops.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Quantization (on the Vector API where the JVM has it) against the spec's formula in double and
 * the scalar float formula, its centred float form against the bytes minus the zero point, and
 * the vectorized range against the sequential {@code Math.min/max} scan, value for value: ties,
 * clamps, NaN, infinities and signed zeros, at offsets and lengths with vector tails.
 */
class ByteQuantizerTest {
  private static float[] values(int n, long seed) {
    Random r = new Random(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = switch (i % 7) {
        case 0 -> (float) r.nextGaussian() * 1000;
        case 1 -> (r.nextInt(600) - 300) * 0.5f;
        default -> (float) r.nextGaussian() * 3;
      };
    }
    float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0f,
        2.5f, -2.5f, 3.5f, 1e30f, -1e30f};
    for (int i = 0; i < special.length && 5 + i < n; i++) {
      x[5 + i] = special[i];
    }
    return x;
  }

  @ParameterizedTest(name = "n={0} scale={1} zero={2} signed={3}")
  @CsvSource({
      "1000, 1.0, 128, false",
      "37, 0.5, 0, false",
      "1003, 0.02, 255, false",
      "515, 3.0, 0, true",
      "64, 1e-30, -128, true",
      "1001, 7.25, 17, true",
  })
  void quantizeCentredEqualsTheBytesMinusTheZeroPoint(int n, float scale, int zero,
      boolean signed) {
    float[] x = values(n + 3, n);
    float lo = signed ? -128f : 0f;
    float hi = signed ? 127f : 255f;
    byte[] q = new byte[n];
    ByteQuantizer.quantize(x, 3, n, scale, zero, lo, hi, q);
    for (int i = 0; i < n; i++) {
      float c = Math.max(-1024f, Math.min(1024f, x[3 + i] / scale));
      float r = (c + 12582912f) - 12582912f;
      assertEquals((byte) (int) Math.max(lo, Math.min(hi, r + zero)), q[i], "x = " + x[3 + i]);
    }
    float[] got = new float[n];
    ByteQuantizer.quantizeCentred(x, 3, n, scale, zero, lo, hi, got);
    for (int i = 0; i < n; i++) {
      float want = (signed ? q[i] : q[i] & 0xFF) - zero;
      assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got[i]),
          "x = " + x[3 + i]);
    }
  }

  @ParameterizedTest(name = "n={0}")
  @CsvSource({"1", "15", "16", "17", "1000", "1003"})
  void rangeWithZeroEqualsTheSequentialScan(int n) {
    for (int variant = 0; variant < 3; variant++) {
      float[] x = values(n + 2, n * 10L + variant);
      if (variant == 1) {
        x[2 + n / 2] = Float.NaN;
      } else {
        for (int i = 0; i < x.length; i++) {
          x[i] = Float.isNaN(x[i]) ? -0f : x[i];
        }
      }
      float min = 0;
      float max = 0;
      for (int i = 2; i < n + 2; i++) {
        min = Math.min(min, x[i]);
        max = Math.max(max, x[i]);
      }
      float[] got = ByteQuantizer.rangeWithZero(x, 2, n);
      assertEquals(Float.floatToIntBits(min), Float.floatToIntBits(got[0]), "min");
      assertEquals(Float.floatToIntBits(max), Float.floatToIntBits(got[1]), "max");
    }
  }

  private static float[] randomValues(Random r, int n, boolean withNaN) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = switch (r.nextInt(6)) {
        case 0 -> (r.nextInt(2001) - 1000) / 4f; // ties at scale 0.5
        case 1 -> (float) (r.nextGaussian() * 1e6);
        case 2 -> r.nextBoolean() ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
        case 3 -> r.nextBoolean() ? 0f : -0f;
        default -> (float) (r.nextGaussian() * 50);
      };
    }
    if (withNaN) {
      x[r.nextInt(n)] = Float.NaN;
    }
    return x;
  }

  /** The spec's formula in double: saturate(rint(x / scale) + zero), NaN to 0. */
  private static byte[] spec(float[] x, int off, int n, float scale, int zero, int lo, int hi) {
    byte[] out = new byte[n];
    for (int i = 0; i < n; i++) {
      double v = Math.rint(x[off + i] / scale) + zero;
      out[i] = (byte) (Double.isNaN(v) ? 0 : (long) Math.max(lo, Math.min(hi, v)));
    }
    return out;
  }

  @Test
  void quantizeFollowsTheSpecOnTiesInfinitiesAndNaN() {
    Random r = new Random(7);
    // Many rounds, so that the loop is also checked once compiled.
    for (int round = 0; round < 3000; round++) {
      int n = 1 + r.nextInt(300);
      int off = r.nextInt(5);
      float[] x = randomValues(r, n + off, round % 3 == 0);
      boolean unsigned = r.nextBoolean();
      float scale = round % 2 == 0 ? 0.5f : 0.01f + r.nextFloat() * 3;
      int zero = unsigned ? r.nextInt(256) : r.nextInt(256) - 128;
      int lo = unsigned ? 0 : -128;
      int hi = unsigned ? 255 : 127;
      byte[] want = spec(x, off, n, scale, zero, lo, hi);
      byte[] got = new byte[n];
      ByteQuantizer.quantize(x, off, n, scale, zero, lo, hi, got);
      assertArrayEquals(want, got, "round " + round);
    }
  }
}
