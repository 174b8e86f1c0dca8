package dev.convoy.ir.ops.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link Depthwise} computes, for every output element, the textbook loop (taps in kernel order,
 * those in the padding skipped, summed from the first product, then {@code + bias}) bit for bit,
 * on the scalar path and on the Vector API one (which the test JVM loads): over
 * geometries whose rows have no interior, whose borders are wider than the kernel, strides,
 * dilations, asymmetric pads, channel counts below, at and between whole vectors, NaN and
 * infinities in the input; elements outside the output stay.
 */
class DepthwiseTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = ';', value = {
      "3x3 pad 1, 16 channels; 1; 9; 11; 16; 3; 3; 1; 1; 1; 1; 1; 1; 1; 1; true",
      "3x3 stride 2 asymmetric pads, 24 channels; 2; 10; 7; 24; 3; 3; 2; 2; 1; 1; 0; 1; 2; 1; true",
      "3x3 no bias, 40 channels; 1; 6; 8; 40; 3; 3; 1; 1; 1; 1; 1; 1; 1; 1; false",
      "5x5 pad 2, 72 channels; 1; 8; 9; 72; 5; 5; 1; 1; 1; 1; 2; 2; 2; 2; true",
      "5x5 stride 2, 3 channels; 1; 9; 9; 3; 5; 5; 2; 2; 1; 1; 2; 2; 2; 2; true",
      "3x3 dilated 2, 19 channels; 1; 9; 10; 19; 3; 3; 1; 1; 2; 2; 2; 2; 2; 2; true",
      "3x3 on a 2x2 input, no interior; 1; 2; 2; 32; 3; 3; 1; 1; 1; 1; 1; 1; 1; 1; true",
      "pads wider than the kernel; 1; 3; 4; 8; 3; 3; 1; 1; 1; 1; 4; 4; 4; 4; true",
      "3x1 unpadded, 17 channels; 1; 6; 5; 17; 3; 1; 1; 2; 1; 1; 0; 0; 0; 0; true",
      "1x1 stride 2, 5 channels; 2; 5; 5; 5; 1; 1; 2; 2; 1; 1; 0; 0; 0; 0; false"})
  void rowsAreTheTapOrderLoopPlusBias(String name, int n, int ih, int iw, int c, int kh, int kw,
      int sh, int sw, int dh, int dw, int ph, int pw, int phEnd, int pwEnd, boolean withBias) {
    Random rnd = new Random(name.hashCode());
    int oh = (ih + ph + phEnd - ((kh - 1) * dh + 1)) / sh + 1;
    int ow = (iw + pw + pwEnd - ((kw - 1) * dw + 1)) / sw + 1;
    Depthwise.Geometry g =
        new Depthwise.Geometry(n, ih, iw, c, kh, kw, oh, ow, sh, sw, dh, dw, ph, pw);
    int x0 = 3;
    float[] x = random(rnd, x0 + n * ih * iw * c);
    x[x0 + 1] = Float.NaN;
    x[x0 + c + 2] = Float.POSITIVE_INFINITY;
    x[x0 + n * ih * iw * c - 1] = Float.NEGATIVE_INFINITY;
    float[] w = random(rnd, kh * kw * c);
    float[] bias = withBias ? random(rnd, c) : null;
    int y0 = 2;
    float[] want = new float[y0 + n * oh * ow * c + 5];
    Arrays.fill(want, 42f);
    for (int img = 0; img < n; img++) {
      for (int oy = 0; oy < oh; oy++) {
        for (int ox = 0; ox < ow; ox++) {
          for (int j = 0; j < c; j++) {
            float acc = 0f;
            boolean first = true;
            for (int a = 0; a < kh; a++) {
              for (int b = 0; b < kw; b++) {
                int iy = oy * sh - ph + a * dh;
                int ix = ox * sw - pw + b * dw;
                if (iy < 0 || iy >= ih || ix < 0 || ix >= iw) {
                  continue;
                }
                float p = w[(a * kw + b) * c + j] * x[x0 + ((img * ih + iy) * iw + ix) * c + j];
                acc = first ? p : acc + p;
                first = false;
              }
            }
            want[y0 + ((img * oh + oy) * ow + ox) * c + j] = withBias ? acc + bias[j] : acc;
          }
        }
      }
    }
    float[] scalar = rows(g, x, x0, w, bias, want.length, y0, false);
    assertArrayEquals(want, scalar);
    float[] dispatched = rows(g, x, x0, w, bias, want.length, y0, Blas.vectorized());
    assertArrayEquals(want, dispatched);
    assertEquals(42f, dispatched[y0 - 1]);
  }

  /** Every output row into an array of {@code length} 42s, on either path. */
  private static float[] rows(Depthwise.Geometry g, float[] x, int x0, float[] w, float[] bias,
      int length, int y0, boolean vector) {
    float[] y = new float[length];
    Arrays.fill(y, 42f);
    Depthwise.Taps taps = g.taps();
    for (int row = 0; row < g.n() * g.oh(); row++) {
      Depthwise.row(g, x, x0, w, bias, row, taps, y, y0, vector);
    }
    return y;
  }

  private static float[] random(Random rnd, int n) {
    float[] v = new float[n];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) rnd.nextGaussian();
    }
    return v;
  }
}
