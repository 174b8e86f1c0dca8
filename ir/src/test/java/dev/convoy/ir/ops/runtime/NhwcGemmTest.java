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
 * partial panels, row counts that leave partial register tiles (of four and of eight rows), groups
 * and strided rows; elements outside the product stay.
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

  private static float[] random(Random rnd, int n) {
    float[] v = new float[n];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) rnd.nextGaussian();
    }
    return v;
  }
}
