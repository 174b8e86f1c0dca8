package dev.convoy.ir.ops.runtime;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link ExpKernels} on the JDK's Vector API: floats widened to double lanes, the double
 * exponential of the vector library (SVML on x86, accurate to an ulp as {@link Math#exp} is),
 * then rounded back; GELU in float32 lanes, the same operations as {@link ExpKernels#erfFloat}.
 * Loaded only when {@link Blas#vectorized()} holds.
 */
final class VectorExp {
  private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
  /** Floats in as many lanes as {@link #D} has. */
  private static final VectorSpecies<Float> F =
      FloatVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(D.vectorBitSize() / 2));
  static final int LANES = D.length();

  private VectorExp() {}

  private static DoubleVector widen(float[] a, int i) {
    return (DoubleVector) FloatVector.fromArray(F, a, i).convertShape(VectorOperators.F2D, D, 0);
  }

  private static FloatVector narrow(DoubleVector v) {
    return (FloatVector) v.convertShape(VectorOperators.D2F, F, 0);
  }

  /** {@code 1 / (1 + exp(-x))} in double, rounded. */
  private static DoubleVector sigmoid(DoubleVector x) {
    DoubleVector one = DoubleVector.broadcast(D, 1.0);
    return one.div(x.neg().lanewise(VectorOperators.EXP).add(one));
  }

  /** As {@link ExpKernels#sigmoid} for {@code n} a multiple of {@link #LANES}. */
  static void sigmoid(float[] a, int ia, float[] o, int io, int n) {
    for (int i = 0; i < n; i += LANES) {
      narrow(sigmoid(widen(a, ia + i))).intoArray(o, io + i);
    }
  }

  /** As {@link ExpKernels#expShifted} for {@code n} a multiple of {@link #LANES}. */
  static void expShifted(float[] x, int xo, double shift, double[] e, int n) {
    for (int i = 0; i < n; i += LANES) {
      widen(x, xo + i).sub(shift).lanewise(VectorOperators.EXP).intoArray(e, i);
    }
  }

  /** As {@link ExpKernels#swish} for {@code n} a multiple of {@link #LANES}. */
  static void swish(float[] a, int ia, float[] o, int io, int n) {
    for (int i = 0; i < n; i += LANES) {
      DoubleVector x = widen(a, ia + i);
      DoubleVector s = (DoubleVector) narrow(sigmoid(x))
          .convertShape(VectorOperators.F2D, D, 0);
      narrow(x.mul(s)).intoArray(o, io + i);
    }
  }

  private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;

  /** As {@link ExpKernels#relu}; returns how many leading elements it wrote (whole vectors). */
  static int relu(float[] a, int ia, float[] o, int io, int n) {
    int end = n / FS.length() * FS.length();
    FloatVector zero = FloatVector.zero(FS);
    for (int i = 0; i < end; i += FS.length()) {
      FloatVector x = FloatVector.fromArray(FS, a, ia + i);
      x.blend(zero, x.lt(0f)).intoArray(o, io + i);
    }
    return end;
  }

  /**
   * As {@link ExpKernels#clipAtZero}; returns how many leading elements it wrote (whole
   * vectors).
   */
  static int clipAtZero(float[] a, int ia, float[] o, int io, int n, float hi) {
    int end = n / FS.length() * FS.length();
    boolean keepNegativeZero = hi >= 0f;
    for (int i = 0; i < end; i += FS.length()) {
      FloatVector x = FloatVector.fromArray(FS, a, ia + i);
      FloatVector r = x.max(0f).min(hi);
      if (keepNegativeZero) {
        r = r.blend(x, x.eq(0f).and(x.test(VectorOperators.IS_NEGATIVE)));
      }
      r.intoArray(o, io + i);
    }
    return end;
  }

  /** As {@link ExpKernels#gelu}; returns how many leading elements it wrote (whole vectors). */
  static int gelu(float[] a, int ia, float[] o, int io, int n) {
    int end = n / FS.length() * FS.length();
    for (int i = 0; i < end; i += FS.length()) {
      FloatVector x = FloatVector.fromArray(FS, a, ia + i);
      x.mul(0.5f).mul(erf(x.mul(ExpKernels.FRAC_1_SQRT2)).add(1f)).intoArray(o, io + i);
    }
    return end;
  }

  /** {@link ExpKernels#erfFloat} lane by lane, operation for operation. */
  private static FloatVector erf(FloatVector x) {
    FloatVector ax = x.abs();
    FloatVector s = ax.mul(ax);
    FloatVector small = FloatVector.broadcast(FS, ExpKernels.ERF_S0)
        .fma(s, bc(ExpKernels.ERF_S1)).fma(s, bc(ExpKernels.ERF_S2))
        .fma(s, bc(ExpKernels.ERF_S3)).fma(s, bc(ExpKernels.ERF_S4))
        .fma(s, bc(ExpKernels.ERF_S5));
    small = small.fma(ax, ax);
    FloatVector c = ax.min(ExpKernels.ERF_CLAMP);
    FloatVector q = FloatVector.broadcast(FS, ExpKernels.ERF_B0)
        .fma(c, bc(ExpKernels.ERF_B1)).fma(c, bc(ExpKernels.ERF_B2))
        .fma(c, bc(ExpKernels.ERF_B3)).fma(c, bc(ExpKernels.ERF_B4))
        .fma(c, bc(ExpKernels.ERF_B5)).fma(c, bc(ExpKernels.ERF_B6));
    FloatVector t = q.fma(c, c).neg();
    FloatVector k = t.fma(ExpKernels.LOG2E_F, ExpKernels.ROUND_MAGIC);
    FloatVector nk = k.sub(ExpKernels.ROUND_MAGIC);
    FloatVector f = nk.fma(bc(ExpKernels.MINUS_LN2_HI), t);
    f = nk.fma(bc(ExpKernels.MINUS_LN2_LO), f);
    FloatVector y = FloatVector.broadcast(FS, ExpKernels.EXP_0)
        .fma(f, bc(ExpKernels.EXP_1)).fma(f, bc(ExpKernels.EXP_2))
        .fma(f, bc(ExpKernels.EXP_3)).fma(f, bc(ExpKernels.EXP_4)).fma(f, bc(1f))
        .fma(f, bc(1f));
    FloatVector scale = k.reinterpretAsInts()
        .sub(ExpKernels.ROUND_MAGIC_BITS - 127).lanewise(VectorOperators.LSHL, 23)
        .reinterpretAsFloats();
    FloatVector big = FloatVector.broadcast(FS, 1f).sub(y.mul(scale));
    FloatVector r = small.blend(big, ax.compare(VectorOperators.GT, ExpKernels.ERF_SPLIT));
    // copySign: the magnitude's bits with x's sign bit.
    return r.abs().reinterpretAsInts()
        .or(x.reinterpretAsInts().and(Integer.MIN_VALUE)).reinterpretAsFloats();
  }

  private static FloatVector bc(float v) {
    return FloatVector.broadcast(FS, v);
  }
}
