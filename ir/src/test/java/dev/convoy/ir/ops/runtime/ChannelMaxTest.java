package dev.convoy.ir.ops.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link ChannelMax} on the dispatched path (the Vector API one under the test JVM) equals the
 * first-then-greater loop over the taps bit for bit, from the first tap and from negative
 * infinity, with NaN and signed zeros among the taps, over channel counts below, at and between
 * whole vectors, per pixel and over a run of shifted windows ({@code maxRun}); {@code firstNaN}
 * copies exactly the NaN lanes; elements outside stay.
 */
class ChannelMaxTest {

  @ParameterizedTest(name = "channels {0} taps {1} from lowest {2}")
  @CsvSource({"5, 4, false", "16, 9, false", "24, 3, true", "27, 5, false", "40, 7, true",
      "33, 0, false", "16, 1, true"})
  void maxIsTheFirstThenGreaterLoop(int c, int n, boolean fromLowest) {
    Random rnd = new Random(31L * c + n);
    float[] x = ties(rnd, 3 + 8 * c);
    int[] offs = new int[n];
    for (int t = 0; t < n; t++) {
      offs[t] = (t * 5 % 8) * c;
    }
    float[] want = new float[c + 4];
    Arrays.fill(want, 42f);
    for (int j = 0; j < c; j++) {
      float acc = Float.NEGATIVE_INFINITY;
      for (int t = 0; t < n; t++) {
        float v = x[3 + offs[t] + j];
        acc = t == 0 && !fromLowest ? v : v > acc ? v : acc;
      }
      want[2 + j] = acc;
    }
    float[] scalar = new float[c + 4];
    Arrays.fill(scalar, 42f);
    float[] dispatched = scalar.clone();
    ChannelMax.scalarMax(x, 3, offs, n, fromLowest, scalar, 2, c);
    ChannelMax.max(x, 3, offs, n, fromLowest, dispatched, 2, c);
    assertArrayEquals(want, scalar);
    assertArrayEquals(want, dispatched);
  }

  @ParameterizedTest(name = "channels {0} taps {1} pixels {2}")
  @CsvSource({"5, 9, 3", "16, 9, 4", "24, 9, 5", "27, 4, 2", "32, 9, 3", "40, 9, 3",
      "24, 0, 2", "20, 1, 6"})
  void maxRunIsMaxPerShiftedPixel(int c, int n, int count) {
    Random rnd = new Random(17L * c + n + count);
    int step = 2 * c;
    float[] x = ties(rnd, 3 + count * step + 8 * c);
    int[] offs = new int[n];
    for (int t = 0; t < n; t++) {
      offs[t] = (t * 5 % 8) * c;
    }
    float[] want = new float[count * c + 4];
    Arrays.fill(want, 42f);
    float[] got = want.clone();
    for (int q = 0; q < count; q++) {
      ChannelMax.scalarMax(x, 3 + q * step, offs, n, false, want, 2 + q * c, c);
    }
    ChannelMax.maxRun(x, 3, step, offs, n, got, 2, c, count);
    assertArrayEquals(want, got);
  }

  @ParameterizedTest(name = "channels {0}")
  @CsvSource({"5", "16", "27", "40"})
  void firstNaNCopiesOnlyTheNaNLanes(int c) {
    Random rnd = new Random(c);
    float[] x = ties(rnd, c + 1);
    float[] y = ties(rnd, c + 3);
    float[] want = y.clone();
    for (int j = 0; j < c; j++) {
      if (Float.isNaN(x[1 + j])) {
        want[2 + j] = x[1 + j];
      }
    }
    ChannelMax.firstNaN(x, 1, y, 2, c);
    assertArrayEquals(want, y);
  }

  /** Values in {-1, -0.0, 0.0, 1} and one in eight NaN: many ties. */
  static float[] ties(Random rnd, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      int k = rnd.nextInt(8);
      v[i] = k == 0 ? Float.NaN : k < 3 ? -0.0f : k < 5 ? 0.0f : k < 7 ? 1f : -1f;
    }
    return v;
  }
}
