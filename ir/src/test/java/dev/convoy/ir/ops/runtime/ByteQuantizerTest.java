package dev.convoy.ir.ops.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ByteQuantizerTest {

  private static float[] values(Random r, int n, boolean withNaN) {
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
      float[] x = values(r, n + off, round % 3 == 0);
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
