package dev.convoy.ir.ops.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The tiled sgemm against the textbook triple loop, bit for bit: it promises k-order
 * accumulation, one fused multiply-add per step, whatever the tiling, the row/k tails, the
 * thread count or a transposed A.
 */
class BlasTest {
  private static float[] random(Random r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return v;
  }

  /** C += A B, A's element (i, kk) at a[i * lda + kk * ska]: one fused multiply-add per k step. */
  private static void naive(int m, int n, int k, float[] a, int lda, int ska, float[] b,
      float[] c) {
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        float s = c[i * n + j];
        for (int kk = 0; kk < k; kk++) {
          s = Math.fma(a[i * lda + kk * ska], b[kk * n + j], s);
        }
        c[i * n + j] = s;
      }
    }
  }

  @ParameterizedTest(name = "{0}x{1}x{2}")
  @CsvSource({"1,1,1", "3,5,7", "2,513,129", "9,49,300", "17,1030,257", "64,700,33"})
  void sgemmEqualsTheTripleLoopBitForBitAtAnyThreadCount(int m, int n, int k) {
    Random r = new Random(m * 1_000_003L + n * 1009L + k);
    float[] a = random(r, m * k);
    float[] b = random(r, k * n);
    float[] c0 = random(r, m * n);
    float[] want = c0.clone();
    naive(m, n, k, a, k, 1, b, want);
    for (int threads : new int[] {1, 2, 3}) {
      float[] got = c0.clone();
      Blas.sgemm(m, n, k, a, 0, b, 0, got, 0, Parallel.of(threads));
      assertArrayEquals(want, got, threads + " threads");
    }
  }

  @ParameterizedTest(name = "{0}x{1}x{2}")
  @CsvSource({"5,300,11", "49,320,96"})
  void sgemmWithTransposedAEqualsTheTripleLoop(int m, int n, int k) {
    Random r = new Random(m + 31L * n + 977L * k);
    float[] stored = random(r, k * m);
    float[] b = random(r, k * n);
    float[] want = new float[m * n];
    naive(m, n, k, stored, 1, m, b, want);
    float[] got = new float[m * n];
    Blas.sgemm(m, n, k, stored, 0, 1, m, b, 0, n, got, 0, n, Parallel.of(2));
    assertArrayEquals(want, got);
  }

  /**
   * The register-blocked Vector API path against the scalar loops, bit for bit, on shapes with
   * row tails (m not a multiple of four, one row), column tails (n not a multiple of two
   * vectors, more than one panel) and several k panels, writing a block of a wider C.
   */
  @ParameterizedTest(name = "{0}x{1}x{2}")
  @CsvSource({"1,16,5", "4,32,128", "5,33,129", "6,545,300", "13,1030,257", "2,17,3"})
  void vectorPathEqualsTheScalarLoopsBitForBit(int m, int n, int k) {
    assumeTrue(Blas.vectorized(), "the JVM runs without --add-modules jdk.incubator.vector");
    Random r = new Random(7L * m + 131L * n + k);
    int ldc = n + 3;
    float[] a = random(r, m * k);
    float[] b = random(r, k * n);
    float[] c0 = random(r, m * ldc);
    float[] want = c0.clone();
    Blas.scalarSgemm(m, n, k, a, 0, k, 1, b, 0, n, want, 1, ldc, Parallel.serial());
    for (int threads : new int[] {1, 2}) {
      float[] got = c0.clone();
      Blas.sgemm(m, n, k, a, 0, k, b, 0, n, got, 1, ldc, Parallel.of(threads));
      assertArrayEquals(want, got, threads + " threads");
    }
  }
  /**
   * The few-rows product (a classifier head) against the triple loop from zero, bit for bit, so
   * it sums as sgemm does: column counts around the vector blocks and their tails, offsets into
   * larger arrays, several threads.
   */
  @ParameterizedTest(name = "{0}x{1}x{2}")
  @CsvSource({"1,1000,1024", "1,7,3", "2,65,17", "8,300,40", "3,16,1", "1,257,5"})
  void fewRowsEqualsTheTripleLoopBitForBit(int m, int n, int k) {
    Random r = new Random(11L * m + 101L * n + k);
    float[] a = random(r, m * k + 2);
    float[] b = random(r, k * n + 3);
    float[] want = new float[m * n];
    float[] shiftedA = java.util.Arrays.copyOfRange(a, 2, a.length);
    float[] shiftedB = java.util.Arrays.copyOfRange(b, 3, b.length);
    naive(m, n, k, shiftedA, k, 1, shiftedB, want);
    for (int threads : new int[] {1, 2}) {
      float[] got = new float[m * n + 5];
      java.util.Arrays.fill(got, Float.NaN);
      Blas.fewRows(m, n, k, a, 2, b, 3, got, 5, Parallel.of(threads));
      assertArrayEquals(want, java.util.Arrays.copyOfRange(got, 5, got.length), threads
          + " threads");
    }
  }
}
