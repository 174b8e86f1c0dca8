package dev.convoy.ir.ops.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OneNode;
import dev.convoy.ir.ops.runtime.Winograd;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code convoy::WinogradConv} against a direct 3x3 convolution summed in double (the standard
 * Conv's float result must be as close), over even and odd sizes, uneven pads, one tile and many
 * blocks, with its bias, residual and activation; and the filter transform's inverse, which export
 * uses.
 */
class WinogradConvTest {
  private static float[] gaussian(int n, double scale, long seed) {
    Random r = new Random(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (r.nextGaussian() * scale);
    }
    return v;
  }

  /** The 3x3 stride-1 convolution in double, plus bias, before any activation. */
  private static double[] direct(float[] x, float[] g, float[] b, int n, int c, int h, int w,
      int m, int[] pads) {
    int ho = h + pads[0] + pads[2] - 2;
    int wo = w + pads[1] + pads[3] - 2;
    double[] y = new double[n * m * ho * wo];
    for (int img = 0; img < n; img++) {
      for (int oc = 0; oc < m; oc++) {
        for (int oy = 0; oy < ho; oy++) {
          for (int ox = 0; ox < wo; ox++) {
            double s = b[oc];
            for (int ic = 0; ic < c; ic++) {
              for (int ky = 0; ky < 3; ky++) {
                for (int kx = 0; kx < 3; kx++) {
                  int iy = oy - pads[0] + ky;
                  int ix = ox - pads[1] + kx;
                  if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                    s += (double) x[((img * c + ic) * h + iy) * w + ix]
                        * g[((oc * c + ic) * 3 + ky) * 3 + kx];
                  }
                }
              }
            }
            y[((img * m + oc) * ho + oy) * wo + ox] = s;
          }
        }
      }
    }
    return y;
  }

  private static NdArray winograd(NdArray x, float[] g, float[] b, int m, int[] pads,
      String act, NdArray z) {
    int c = (int) x.dim(1);
    OneNode node = OneNode.of("convoy", "WinogradConv", 1).in(x)
        .in(NdArray.ofFloats(new long[] {16, m, c}, Winograd.transformFilters(g, m, c)))
        .in(NdArray.ofFloats(new long[] {m}, b));
    if (z != null) {
      node.in(z);
    }
    return node.attr("pads", Attribute.of(pads[0], pads[1], pads[2], pads[3]))
        .attr("activation", Attribute.of(act)).run();
  }

  @ParameterizedTest(name = "n={0} c={1} m={2} {3}x{4} pads {5}")
  @CsvSource({
      "1, 3, 5, 7, 6, 1 1 1 1",
      "2, 4, 3, 8, 8, 0 0 0 0",
      "1, 2, 4, 5, 9, 2 0 1 3",
      "1, 16, 24, 13, 13, 1 1 1 1",
      "2, 1, 1, 3, 3, 0 0 0 0",
      "1, 7, 9, 1, 1, 1 1 1 1",
      "1, 40, 36, 56, 56, 1 1 1 1",
      "1, 300, 8, 27, 27, 1 1 1 1"})
  void matchesTheDirectConvolution(int n, int c, int m, int h, int w, String padText) {
    int[] pads = java.util.Arrays.stream(padText.split(" ")).mapToInt(Integer::parseInt)
        .toArray();
    float[] x = gaussian(n * c * h * w, 1, h * 131L + c);
    float[] g = gaussian(m * c * 9, 1 / Math.sqrt(9.0 * c), m * 17L + w);
    float[] b = gaussian(m, 0.1, 5);
    NdArray xs = NdArray.ofFloats(new long[] {n, c, h, w}, x);
    double[] want = direct(x, g, b, n, c, h, w, m, pads);
    NdArray got = winograd(xs, g, b, m, pads, "", null);
    assertArrayEquals(new long[] {n, m, h + pads[0] + pads[2] - 2, w + pads[1] + pads[3] - 2},
        got.dims());
    NdArray conv = OneNode.of("Conv", 11).in(xs)
        .in(NdArray.ofFloats(new long[] {m, c, 3, 3}, g)).in(NdArray.ofFloats(new long[] {m}, b))
        .attr("pads", Attribute.of(pads[0], pads[1], pads[2], pads[3])).run();
    double convErr = maxError(conv.floats(), want);
    double winoErr = maxError(got.floats(), want);
    // Within the verification bar, and within a few times the direct float convolution's own
    // rounding error (which is itself a few ulps of the sum's scale).
    assertTrue(winoErr <= 1e-5, "error " + winoErr + " vs direct conv " + convErr);
    assertTrue(winoErr <= 8 * convErr + 1e-6, "error " + winoErr + " vs direct conv " + convErr);
  }

  private static double maxError(float[] got, double[] want) {
    assertEquals(want.length, got.length);
    double e = 0;
    for (int i = 0; i < got.length; i++) {
      e = Math.max(e, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
    }
    return e;
  }

  @Test
  void addsTheResidualBeforeTheActivation() {
    int c = 3;
    int m = 4;
    int[] pads = {1, 1, 1, 1};
    float[] x = gaussian(c * 9 * 11, 1, 1);
    float[] g = gaussian(m * c * 9, 0.3, 2);
    float[] b = gaussian(m, 0.1, 3);
    float[] z = gaussian(m * 9 * 11, 1, 4);
    NdArray got = winograd(NdArray.ofFloats(new long[] {1, c, 9, 11}, x), g, b, m, pads,
        "Relu", NdArray.ofFloats(new long[] {1, m, 9, 11}, z));
    double[] want = direct(x, g, b, 1, c, 9, 11, m, pads);
    float[] y = got.floats();
    for (int i = 0; i < y.length; i++) {
      double v = Math.max(0, want[i] + z[i]);
      assertEquals(v, y[i], 1e-5 * (1 + Math.abs(v)), "at " + i);
    }
  }

  @Test
  void recoversTheFiltersCornersExactlyAndTheRestToAFewUlpsOfTheirScale() {
    int m = 6;
    int c = 5;
    float[] g = gaussian(m * c * 9, 1, 9);
    float[] back = Winograd.recoverFilters(Winograd.transformFilters(g, m, c), m, c);
    for (int i = 0; i < g.length; i++) {
      int tap = i % 9;
      // The other taps come from differences of U's entries, each rounded at the filter's scale.
      float scale = 0;
      for (int k = i - tap; k < i - tap + 9; k++) {
        scale += Math.abs(g[k]);
      }
      if (tap == 0 || tap == 2 || tap == 6 || tap == 8) {
        assertEquals(g[i], back[i], 0, "corner tap " + tap);
      } else {
        assertEquals(g[i], back[i], 4 * Math.ulp(scale), "tap " + tap);
      }
    }
  }

  @Test
  void rejectsFiltersOfAnotherChannelCount() {
    NdArray x = NdArray.ofFloats(new long[] {1, 3, 4, 4}, new float[48]);
    assertThrows(ConvoyException.class, () -> OneNode.of("convoy", "WinogradConv", 1).in(x)
        .in(NdArray.ofFloats(new long[] {16, 2, 4}, new float[128]))
        .attr("pads", Attribute.of(1L, 1L, 1L, 1L)).run());
  }
}
