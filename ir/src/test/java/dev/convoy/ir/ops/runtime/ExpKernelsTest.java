package dev.convoy.ir.ops.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The vectorized sigmoid, SiLU and GELU against their scalar float32 twins, bit for bit over a million values spread
 * over the whole useful range and the special ones (NaN, infinities, signed zeros, overflow of
 * exp), at offsets and lengths with vector tails; the float32 sigmoid against the double formula,
 * the float32 erf and GELU against exact values.
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
  void sigmoidVectorLoopEqualsTheScalarFloatFormulaBitForBit() {
    float[] a = values();
    float[] want = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      want[i] = ExpKernels.sigmoidFloat(a[i]);
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
  void sigmoidIsWithinTwoUlpsOfTheDoubleFormulaRounded() {
    Random r = new Random(5);
    for (int i = 0; i < 4_000_000; i++) {
      float x = i < SPECIAL.length ? SPECIAL[i]
          : i % 2 == 0 ? (float) (r.nextGaussian() * 30) : Float.intBitsToFloat(r.nextInt());
      float want = (float) (1 / (1 + Math.exp(-(double) x)));
      float got = ExpKernels.sigmoidFloat(x);
      if (Float.isNaN(x)) {
        assertTrue(Float.isNaN(got), "sigmoid(NaN)");
      } else if (want < Float.MIN_NORMAL) {
        assertTrue(Math.abs(got - want) < 1e-38, "sigmoid(" + x + ") = " + got + ", want " + want);
      } else {
        assertTrue(Math.abs((double) got - want) <= 2 * Math.ulp(want),
            "sigmoid(" + x + ") = " + got + ", want " + want);
      }
    }
    assertEquals(0.5f, ExpKernels.sigmoidFloat(-0f));
    assertEquals(1f, ExpKernels.sigmoidFloat(Float.POSITIVE_INFINITY));
    assertEquals(0f, ExpKernels.sigmoidFloat(-104.5f));
    assertEquals(0f, ExpKernels.sigmoidFloat(Float.NEGATIVE_INFINITY));
  }

  @Test
  void swishEqualsSigmoidThenMulBitForBit() {
    float[] a = values();
    float[] want = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      want[i] = a[i] * ExpKernels.sigmoidFloat(a[i]);
    }
    float[] got = a.clone();
    ExpKernels.swish(got, 0, got, 0, a.length - 1);
    got[a.length - 1] = want[a.length - 1];
    assertArrayEquals(want, got);
    assertTrue(Float.isNaN(want[5]), "SiLU(-inf) is -inf * 0 = NaN, as Sigmoid then Mul give");
  }

  /** 2 / sqrt(pi) to 31 digits. */
  private static final BigDecimal TWO_OVER_SQRT_PI =
      new BigDecimal("1.128379167095512573896158903122");

  /**
   * erf(x) = 2/sqrt(pi) sum (-1)^n x^(2n+1) / (n! (2n+1)), summed in 60-digit decimal arithmetic,
   * which the alternating terms (up to e^(x^2) large) cannot disturb.
   */
  private static double exactErf(double x) {
    MathContext mc = new MathContext(60);
    BigDecimal bx = new BigDecimal(x);
    BigDecimal x2 = bx.multiply(bx, mc);
    BigDecimal power = bx;
    BigDecimal sum = BigDecimal.ZERO;
    for (int n = 0; n < 1000; n++) {
      BigDecimal term = power.divide(BigDecimal.valueOf(2L * n + 1), mc);
      sum = n % 2 == 0 ? sum.add(term, mc) : sum.subtract(term, mc);
      if (term.abs().compareTo(new BigDecimal("1e-40")) < 0) {
        break;
      }
      power = power.multiply(x2, mc).divide(BigDecimal.valueOf(n + 1L), mc);
    }
    return sum.multiply(TWO_OVER_SQRT_PI, mc).doubleValue();
  }

  @Test
  void erfIsWithinTwoUlpsOfTheExactValueOnEveryInterval() {
    Random r = new Random(5);
    double worst = 0;
    double at = 0;
    for (int i = 0; i < 1000; i++) {
      // Spread over the five intervals of the approximation and beyond, both signs.
      double x = (r.nextDouble() * 7) * (r.nextBoolean() ? 1 : -1);
      double want = exactErf(x);
      double err = Math.abs(ExpKernels.erf(x) - want) / Math.ulp(want);
      if (err > worst) {
        worst = err;
        at = x;
      }
    }
    assertTrue(worst <= 2, "erf off by " + worst + " ulps at " + at);
    assertEquals(0.0, ExpKernels.erf(0.0));
    assertEquals(-0.0, ExpKernels.erf(-0.0));
    assertEquals(1.0, ExpKernels.erf(Double.POSITIVE_INFINITY));
    assertEquals(-1.0, ExpKernels.erf(Double.NEGATIVE_INFINITY));
    assertTrue(Double.isNaN(ExpKernels.erf(Double.NaN)));
    assertEquals(1e-300 * 2 / Math.sqrt(Math.PI), ExpKernels.erf(1e-300), 1e-315);
  }

  /**
   * The float32 erf against the double one (itself within two double ulps, above) at every 128th
   * float from 0 to past the clamp at 3.925, and for both signs: at most {@value #ERF_ULPS}
   * float ulps off, and odd.
   */
  @Test
  void erfFloatIsWithinOneAndAHalfUlpsOfTheDoubleErfOverADenseSweep() {
    double worst = 0;
    float at = 0;
    for (int bits = 0; bits <= Float.floatToRawIntBits(4.5f); bits += 128) {
      float x = Float.intBitsToFloat(bits);
      float want = (float) ExpKernels.erf(x);
      float got = ExpKernels.erfFloat(x);
      double err = Math.abs(got - ExpKernels.erf(x)) / Math.ulp(want);
      if (err > worst) {
        worst = err;
        at = x;
      }
      assertEquals(Float.floatToRawIntBits(-got), Float.floatToRawIntBits(
          ExpKernels.erfFloat(-x)), "erf(-" + x + ")");
    }
    assertTrue(worst <= ERF_ULPS, "erfFloat off by " + worst + " ulps at " + at);
    assertEquals(1f, ExpKernels.erfFloat(Float.POSITIVE_INFINITY));
    assertEquals(-1f, ExpKernels.erfFloat(-1e30f));
    assertTrue(Float.isNaN(ExpKernels.erfFloat(Float.NaN)));
  }

  private static final double ERF_ULPS = 1.5;

  @Test
  void geluVectorLoopEqualsTheScalarFormulaBitForBit() {
    float[] a = values();
    for (int i = 0; i < 4096; i++) {
      // Both sides of the split at 0.921875 (x / sqrt 2) and of the clamp at 3.925.
      a[100 + i] = (i - 2048) * (6f / 2048);
    }
    float[] got = new float[a.length + 1];
    ExpKernels.gelu(a, 2, got, 1, a.length - 5);
    for (int i = 2; i < a.length - 3; i++) {
      float x = a[i];
      float want = (0.5f * x) * (ExpKernels.erfFloat(x * ExpKernels.FRAC_1_SQRT2) + 1f);
      assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got[i - 1]),
          "gelu(" + x + ")");
    }
    assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(got[3 + 3 - 1]));
  }

  @Test
  void geluIsWithinAFewUlpsOfTheExactValue() {
    int n = 20000;
    float[] a = new float[n];
    Random r = new Random(3);
    for (int i = 0; i < n; i++) {
      a[i] = (float) (r.nextGaussian() * 3);
    }
    float[] got = new float[n];
    ExpKernels.gelu(a, 0, got, 0, n);
    double worst = 0;
    for (int i = 0; i < n; i++) {
      double v = a[i];
      double want = 0.5 * v * (1 + exactErf(v / Math.sqrt(2)));
      // Where 1 + erf cancels (x below about -1) the error is erf's, absolute: |x| 2^-24.
      double err = Math.abs(got[i] - want) / Math.max(Math.ulp((float) want),
          Math.abs(v) * 0x1p-24);
      worst = Math.max(worst, err);
    }
    assertTrue(worst <= 4, "gelu off by " + worst + " ulps");
  }

  @Test
  void reluKeepsNegativeZeroAndNaNAndEqualsTheScalarFormulaBitForBit() {
    float[] a = values();
    a[20] = Float.intBitsToFloat(0xffc00001);
    float[] want = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      want[i] = a[i] < 0f ? 0f : a[i];
    }
    float[] got = new float[a.length + 2];
    ExpKernels.relu(a, 1, got, 2, a.length - 3);
    for (int i = 1; i < a.length - 2; i++) {
      assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i + 1]),
          "relu(" + a[i] + ")");
    }
    // -0 stays -0 (a max with 0 would make it +0), a negative NaN keeps its bits.
    assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(got[3 + 3 + 1]));
    assertEquals(0xffc00001, Float.floatToRawIntBits(got[21]));
  }

  @Test
  void clipAtZeroComparesAsOnnxRuntimeDoesBitForBit() {
    float[] a = values();
    for (float hi : new float[] {6f, 0f, -1f, Float.POSITIVE_INFINITY}) {
      float[] got = new float[a.length];
      int done = ExpKernels.clipAtZero(a, 1, got, 0, a.length - 1, hi);
      assertTrue(done > a.length - 1 - 64, "vectors covered only " + done);
      for (int i = 0; i < done; i++) {
        float x = a[i + 1];
        float t = x < 0f ? 0f : x;
        float want = t > hi ? hi : t;
        assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got[i]),
            "clip(" + x + ", 0, " + hi + ")");
      }
    }
    assertEquals(0, ExpKernels.clipAtZero(a, 0, new float[a.length], 0, a.length, Float.NaN));
  }
}
