package dev.convoy.ir.ops.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The vectorized sigmoid and SiLU against the scalar double formulas the standalone ops use, bit
 * for bit over a million values spread over the whole useful range and the special ones (NaN,
 * infinities, signed zeros, overflow of exp), at offsets and lengths with vector tails.
 */
class ExpKernelsTest {
  private static final float[] SPECIAL = {Float.NaN, Float.POSITIVE_INFINITY,
      Float.NEGATIVE_INFINITY, -0f, 0f, -100f, 100f, -746f, 746f, 88.7f, -88.7f, 1e-30f,
      -Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE};

  private static float[] values() {
    assumeTrue(Blas.vectorized(), "the JVM runs without --add-modules jdk.incubator.vector");
    int n = 1 << 20;
    float[] a = new float[n];
    Random r = new Random(11);
    for (int i = 0; i < n; i++) {
      a[i] = (float) (r.nextGaussian() * (i % 3 == 0 ? 30 : 4));
    }
    System.arraycopy(SPECIAL, 0, a, 3, SPECIAL.length);
    return a;
  }

  @Test
  void sigmoidEqualsTheDoubleFormulaRoundedBitForBit() {
    float[] a = values();
    float[] want = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      want[i] = (float) (1 / (1 + Math.exp(-(double) a[i])));
    }
    // Shifted by one between input and output, with a tail shorter than a vector.
    float[] got = new float[a.length + 1];
    ExpKernels.sigmoid(a, 3, got, 4, a.length - 8);
    float[] shifted = new float[a.length + 1];
    System.arraycopy(want, 3, shifted, 4, a.length - 8);
    assertArrayEquals(shifted, got);
    float[] inPlace = a.clone();
    ExpKernels.sigmoid(inPlace, 0, inPlace, 0, a.length);
    assertArrayEquals(want, inPlace);
  }

  @Test
  void swishEqualsSigmoidThenMulBitForBit() {
    float[] a = values();
    float[] want = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      double v = a[i];
      want[i] = (float) (v * (double) (float) (1 / (1 + Math.exp(-v))));
    }
    float[] got = a.clone();
    ExpKernels.swish(got, 0, got, 0, a.length - 1);
    got[a.length - 1] = want[a.length - 1];
    assertArrayEquals(want, got);
  }
}
