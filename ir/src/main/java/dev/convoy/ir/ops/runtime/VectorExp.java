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

  /**
   * Floats one call of {@link #geluBlock} takes at most. HotSpot moves a method up its tiers by
   * its call count, and by its loop back-edges only at much higher counts (OSR): one call per
   * whole tensor (six per all-minilm run, 1536 vectors each) left the loop in the interpreter
   * for 7 runs and boxed in C1 code for 18 more, at about three times the steady-state time of
   * the whole model. Sixteen vectors per call reach C2 within the first few runs.
   */
  static final int GELU_BLOCK = 16 * FS.length();

  /** As {@link ExpKernels#gelu}; returns how many leading elements it wrote (whole vectors). */
  static int gelu(float[] a, int ia, float[] o, int io, int n) {
    int end = n / FS.length() * FS.length();
    for (int i = 0; i < end; i += GELU_BLOCK) {
      geluBlock(a, ia + i, o, io + i, Math.min(GELU_BLOCK, end - i));
    }
    return end;
  }

  /**
   * {@link #gelu} of {@code n} floats, a multiple of the vector length. The erf is written out in
   * the loop with its constants hoisted, so that no vector crosses a call.
   */
  private static void geluBlock(float[] a, int ia, float[] o, int io, int n) {
    FloatVector s0 = bc(ExpKernels.ERF_S0);
    FloatVector s1 = bc(ExpKernels.ERF_S1);
    FloatVector s2 = bc(ExpKernels.ERF_S2);
    FloatVector s3 = bc(ExpKernels.ERF_S3);
    FloatVector s4 = bc(ExpKernels.ERF_S4);
    FloatVector s5 = bc(ExpKernels.ERF_S5);
    FloatVector b0 = bc(ExpKernels.ERF_B0);
    FloatVector b1 = bc(ExpKernels.ERF_B1);
    FloatVector b2 = bc(ExpKernels.ERF_B2);
    FloatVector b3 = bc(ExpKernels.ERF_B3);
    FloatVector b4 = bc(ExpKernels.ERF_B4);
    FloatVector b5 = bc(ExpKernels.ERF_B5);
    FloatVector b6 = bc(ExpKernels.ERF_B6);
    FloatVector ln2Hi = bc(ExpKernels.MINUS_LN2_HI);
    FloatVector ln2Lo = bc(ExpKernels.MINUS_LN2_LO);
    FloatVector e0 = bc(ExpKernels.EXP_0);
    FloatVector e1 = bc(ExpKernels.EXP_1);
    FloatVector e2 = bc(ExpKernels.EXP_2);
    FloatVector e3 = bc(ExpKernels.EXP_3);
    FloatVector e4 = bc(ExpKernels.EXP_4);
    FloatVector one = bc(1f);
    for (int i = 0; i < n; i += FS.length()) {
      FloatVector x = FloatVector.fromArray(FS, a, ia + i);
      // erf(g) with g = x / sqrt 2, as ExpKernels.erfFloat computes it.
      FloatVector g = x.mul(ExpKernels.FRAC_1_SQRT2);
      FloatVector ax = g.abs();
      FloatVector s = ax.mul(ax);
      FloatVector small = s0.fma(s, s1).fma(s, s2).fma(s, s3).fma(s, s4).fma(s, s5);
      small = small.fma(ax, ax);
      FloatVector c = ax.min(ExpKernels.ERF_CLAMP);
      FloatVector q = b0.fma(c, b1).fma(c, b2).fma(c, b3).fma(c, b4).fma(c, b5).fma(c, b6);
      FloatVector t = q.fma(c, c).neg();
      FloatVector k = t.fma(ExpKernels.LOG2E_F, ExpKernels.ROUND_MAGIC);
      FloatVector nk = k.sub(ExpKernels.ROUND_MAGIC);
      FloatVector f = nk.fma(ln2Hi, t);
      f = nk.fma(ln2Lo, f);
      FloatVector y = e0.fma(f, e1).fma(f, e2).fma(f, e3).fma(f, e4).fma(f, one).fma(f, one);
      FloatVector scale = k.reinterpretAsInts()
          .sub(ExpKernels.ROUND_MAGIC_BITS - 127).lanewise(VectorOperators.LSHL, 23)
          .reinterpretAsFloats();
      FloatVector big = one.sub(y.mul(scale));
      FloatVector r = small.blend(big, ax.compare(VectorOperators.GT, ExpKernels.ERF_SPLIT));
      // copySign: the magnitude's bits with g's sign bit.
      FloatVector erf = r.abs().reinterpretAsInts()
          .or(g.reinterpretAsInts().and(Integer.MIN_VALUE)).reinterpretAsFloats();
      x.mul(0.5f).mul(erf.add(1f)).intoArray(o, io + i);
    }
  }

  private static FloatVector bc(float v) {
    return FloatVector.broadcast(FS, v);
  }
}
