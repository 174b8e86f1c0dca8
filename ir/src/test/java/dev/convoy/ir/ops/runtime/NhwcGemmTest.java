package dev.convoy.ir.ops.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link NhwcGemm}'s product equals the textbook loop (zero, then {@code fma(a, b, acc)} in k
 * order, then {@code + bias}) bit for bit on both paths, over widths that leave partial vectors and
 * partial panels, row counts that leave partial register tiles (of four and of eight rows), groups and strided rows; its depthwise and
 * max loops equal their scalar references, NaN included; elements outside the product stay.
 */
class NhwcGemmTest {

  @ParameterizedTest(name = "rows {0} k {1} mg {2} groups {3} bias {4}")
  @CsvSource({
      "1, 1, 1, 1, true", "4, 3, 8, 1, true", "7, 16, 16, 1, false", "13, 27, 24, 1, true",
      "9, 64, 32, 1, true", "6, 5, 37, 1, true", "33, 48, 96, 1, false", "5, 9, 116, 1, true",
      "10, 12, 6, 2, true", "11, 8, 20, 3, false", "4, 7, 64, 2, true", "8, 5, 16, 1, true",
      "23, 11, 32, 1, true", "19, 7, 9, 1, false", "21, 6, 40, 2, true", "17, 3, 96, 1, true"})
  void multiplyIsTheKOrderLoopPlusBias(int rows, int k, int mg, int groups, boolean withBias) {
    Random rnd = new Random(31L * rows + 7L * k + mg + groups);
    int m = mg * groups;
    int lda = k * groups + 3;
    float[] a = random(rnd, 2 + rows * lda);
    float[] w = random(rnd, k * m);
    float[] bias = withBias ? random(rnd, m) : null;
    NhwcGemm.Packed packed = NhwcGemm.pack(w, k, mg, groups);
    int ldy = m + 5;
    float[] want = new float[1 + rows * ldy];
    Arrays.fill(want, 42f);
    float[] scalar = want.clone();
    float[] dispatched = want.clone();
    for (int g = 0; g < groups; g++) {
      int aOff = 2 + g * k;
      int yOff = 1 + g * mg;
      for (int r = 0; r < rows; r++) {
        for (int j = 0; j < mg; j++) {
          float acc = 0f;
          for (int kk = 0; kk < k; kk++) {
            acc = Math.fma(a[aOff + r * lda + kk], w[kk * m + g * mg + j], acc);
          }
          want[yOff + r * ldy + j] = withBias ? acc + bias[g * mg + j] : acc;
        }
      }
      NhwcGemm.scalarMultiply(rows, a, aOff, lda, packed, g, bias, scalar, yOff, ldy);
      NhwcGemm.multiply(rows, a, aOff, lda, packed, g, bias, dispatched, yOff, ldy);
    }
    assertArrayEquals(want, scalar);
    assertArrayEquals(want, dispatched);
  }

  @Test
  void theVectorKernelsRunUnderTheTestJvm() {
    assumeTrue(Blas.vectorized(), "the Vector API module is not loaded (-Dconvoy.vector=false)");
    assertEquals(true, NhwcGemm.vectorized());
  }

  @ParameterizedTest(name = "channels {0}")
  @CsvSource({"3", "8", "24", "29", "40", "53"})
  void depthwisePixelEqualsTheScalarLoop(int c) {
    Random rnd = new Random(c);
    float[] x = random(rnd, 20 * c);
    x[3] = Float.NaN;
    float[] w = random(rnd, 9 * c);
    int[] src = {0, c, 2 * c, 5 * c, 7 * c, 9 * c, 19 * c};
    int[] wOff = {0, c, 3 * c, 4 * c, 6 * c, 7 * c, 8 * c};
    float[] bias = random(rnd, c + 4);
    float[] scalar = bias.clone();
    float[] dispatched = bias.clone();
    NhwcGemm.scalarDepthwisePixel(x, src, wOff, src.length, w, scalar, 2, c);
    NhwcGemm.depthwisePixel(x, src, wOff, src.length, w, dispatched, 2, c);
    float[] want = bias.clone();
    for (int j = 0; j < c; j++) {
      float acc = 0f;
      for (int t = 0; t < src.length; t++) {
        acc = acc + w[wOff[t] + j] * x[src[t] + j];
      }
      want[2 + j] = bias[2 + j] + acc;
    }
    assertArrayEquals(want, scalar);
    assertArrayEquals(want, dispatched);
  }

  @ParameterizedTest(name = "channels {0}")
  @CsvSource({"5", "16", "24", "27", "40"})
  void maxIntoKeepsTheFirstNaNAndTakesOnlyGreaterValues(int c) {
    Random rnd = new Random(c);
    float[] x = random(rnd, c + 3);
    x[4] = Float.NaN;
    float[] acc = random(rnd, c);
    acc[1] = Float.NaN;
    acc[2] = -0.0f;
    x[3 + 2] = 0.0f;
    float[] want = acc.clone();
    for (int j = 0; j < c; j++) {
      want[j] = x[3 + j] > want[j] ? x[3 + j] : want[j];
    }
    float[] scalar = acc.clone();
    float[] dispatched = acc.clone();
    NhwcGemm.scalarMaxInto(x, 3, scalar, c);
    NhwcGemm.maxInto(x, 3, dispatched, c);
    assertArrayEquals(want, scalar);
    assertArrayEquals(want, dispatched);
  }

  private static float[] random(Random rnd, int n) {
    float[] v = new float[n];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) rnd.nextGaussian();
    }
    return v;
  }
}
