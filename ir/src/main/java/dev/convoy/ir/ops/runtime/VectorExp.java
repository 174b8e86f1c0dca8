package dev.convoy.ir.ops.runtime;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link ExpKernels} on the JDK's Vector API: floats widened to double lanes, the double
 * exponential of the vector library (SVML on x86, accurate to an ulp as {@link Math#exp} is),
 * then rounded back; GELU in float32 lanes, the same operations as {@link ExpKernels#erfFloat}.
 * Every float vector is of the preferred species, the one the other kernels use: a vector of
 * floats is widened as its two halves and narrowed back into them. A second float species (half
 * as wide, to match the double lanes) made the library's shared call sites polymorphic, after
 * which C2 boxed the vectors of every float kernel that ran later in the process (the GEMM
 * epilogues, the channel maximum...), most of a planned run's garbage.
 * Loaded only when {@link Blas#vectorized()} holds.
 */
final class VectorExp {
  private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
  /** Elements per step of the widened kernels: one vector of {@link #FS}, two of {@link #D}. */
  static final int LANES = FloatVector.SPECIES_PREFERRED.length();

  private VectorExp() {}

  /** Half {@code part} (0 or 1) of {@code x} as doubles. */
  private static DoubleVector widen(FloatVector x, int part) {
    return (DoubleVector) x.convertShape(VectorOperators.F2D, D, part);
  }

  /** {@code lo} and {@code hi} rounded to float, as the low and high halves of one vector. */
  private static FloatVector narrow(DoubleVector lo, DoubleVector hi) {
    FloatVector l = (FloatVector) lo.convertShape(VectorOperators.D2F, FS, 0);
    FloatVector h = (FloatVector) hi.convertShape(VectorOperators.D2F, FS, -1);
    // Each half is zero (all bits clear) where the other holds its lanes.
    return l.reinterpretAsInts().or(h.reinterpretAsInts()).reinterpretAsFloats();
  }

  /** {@code 1 / (1 + exp(-x))} in double, rounded. */
  private static DoubleVector sigmoid(DoubleVector x) {
    DoubleVector one = DoubleVector.broadcast(D, 1.0);
    return one.div(x.neg().lanewise(VectorOperators.EXP).add(one));
  }

  /** {@code x * (float) sigmoid(x)} in double: SiLU with the sigmoid rounded to float first. */
  private static DoubleVector swish(DoubleVector x) {
    DoubleVector s = (DoubleVector) ((FloatVector) sigmoid(x)
        .convertShape(VectorOperators.D2F, FS, 0)).convertShape(VectorOperators.F2D, D, 0);
    return x.mul(s);
  }

  /** As {@link ExpKernels#sigmoid} for {@code n} a multiple of {@link #LANES}. */
  static void sigmoid(float[] a, int ia, float[] o, int io, int n) {
    for (int i = 0; i < n; i += LANES) {
      FloatVector x = FloatVector.fromArray(FS, a, ia + i);
      narrow(sigmoid(widen(x, 0)), sigmoid(widen(x, 1))).intoArray(o, io + i);
    }
  }

  /** As {@link ExpKernels#swish} for {@code n} a multiple of {@link #LANES}. */
  static void swish(float[] a, int ia, float[] o, int io, int n) {
    for (int i = 0; i < n; i += LANES) {
      FloatVector x = FloatVector.fromArray(FS, a, ia + i);
      narrow(swish(widen(x, 0)), swish(widen(x, 1))).intoArray(o, io + i);
    }
  }

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

  /** GELU's constants, each in every lane (created once: a broadcast allocates until C2). */
  private static final FloatVector ERF_S0 = bc(ExpKernels.ERF_S0);
  private static final FloatVector ERF_S1 = bc(ExpKernels.ERF_S1);
  private static final FloatVector ERF_S2 = bc(ExpKernels.ERF_S2);
  private static final FloatVector ERF_S3 = bc(ExpKernels.ERF_S3);
  private static final FloatVector ERF_S4 = bc(ExpKernels.ERF_S4);
  private static final FloatVector ERF_S5 = bc(ExpKernels.ERF_S5);
  private static final FloatVector ERF_B0 = bc(ExpKernels.ERF_B0);
  private static final FloatVector ERF_B1 = bc(ExpKernels.ERF_B1);
  private static final FloatVector ERF_B2 = bc(ExpKernels.ERF_B2);
  private static final FloatVector ERF_B3 = bc(ExpKernels.ERF_B3);
  private static final FloatVector ERF_B4 = bc(ExpKernels.ERF_B4);
  private static final FloatVector ERF_B5 = bc(ExpKernels.ERF_B5);
  private static final FloatVector ERF_B6 = bc(ExpKernels.ERF_B6);
  private static final FloatVector LN2_HI = bc(ExpKernels.MINUS_LN2_HI);
  private static final FloatVector LN2_LO = bc(ExpKernels.MINUS_LN2_LO);
  private static final FloatVector EXP_0 = bc(ExpKernels.EXP_0);
  private static final FloatVector EXP_1 = bc(ExpKernels.EXP_1);
  private static final FloatVector EXP_2 = bc(ExpKernels.EXP_2);
  private static final FloatVector EXP_3 = bc(ExpKernels.EXP_3);
  private static final FloatVector EXP_4 = bc(ExpKernels.EXP_4);
  private static final FloatVector ONE = bc(1f);

  /**
   * As {@link ExpKernels#gelu}; returns how many leading elements it wrote (whole vectors). One
   * call of {@link #geluVector} per vector: HotSpot compiles a method with C2 once its call
   * count (or, much later, its loop back-edge count) passes a threshold that a busy C2 queue
   * multiplies, and until then every Vector API operation allocates, at some 1 us per element.
   * One call per whole tensor (six per all-minilm run, 1536 vectors each) left this loop boxed
   * for 25 runs, the O2 .cvy at 12 ms against 3.6 ms after; one call per vector gets there
   * soonest (a loop of 16 vectors per call needed twice as many runs alone), for a call per 16
   * floats once compiled (about 0.03 ms of all-minilm's 3.5).
   */
  static int gelu(float[] a, int ia, float[] o, int io, int n) {
    int end = n / FS.length() * FS.length();
    for (int i = 0; i < end; i += FS.length()) {
      geluVector(a, ia + i, o, io + i);
    }
    return end;
  }

  /**
   * {@link #gelu} of the vector at {@code a[ia]} into {@code o[io]}, the erf written out so that
   * no vector crosses a call.
   */
  private static void geluVector(float[] a, int ia, float[] o, int io) {
    FloatVector x = FloatVector.fromArray(FS, a, ia);
    // erf(g) with g = x / sqrt 2, as ExpKernels.erfFloat computes it.
    FloatVector g = x.mul(ExpKernels.FRAC_1_SQRT2);
    FloatVector ax = g.abs();
    FloatVector s = ax.mul(ax);
    FloatVector small =
        ERF_S0.fma(s, ERF_S1).fma(s, ERF_S2).fma(s, ERF_S3).fma(s, ERF_S4).fma(s, ERF_S5);
    small = small.fma(ax, ax);
    FloatVector c = ax.min(ExpKernels.ERF_CLAMP);
    FloatVector q = ERF_B0.fma(c, ERF_B1).fma(c, ERF_B2).fma(c, ERF_B3).fma(c, ERF_B4)
        .fma(c, ERF_B5).fma(c, ERF_B6);
    FloatVector t = q.fma(c, c).neg();
    FloatVector k = t.fma(ExpKernels.LOG2E_F, ExpKernels.ROUND_MAGIC);
    FloatVector nk = k.sub(ExpKernels.ROUND_MAGIC);
    FloatVector f = nk.fma(LN2_HI, t);
    f = nk.fma(LN2_LO, f);
    FloatVector y =
        EXP_0.fma(f, EXP_1).fma(f, EXP_2).fma(f, EXP_3).fma(f, EXP_4).fma(f, ONE).fma(f, ONE);
    FloatVector scale = k.reinterpretAsInts()
        .sub(ExpKernels.ROUND_MAGIC_BITS - 127).lanewise(VectorOperators.LSHL, 23)
        .reinterpretAsFloats();
    FloatVector big = ONE.sub(y.mul(scale));
    FloatVector r = small.blend(big, ax.compare(VectorOperators.GT, ExpKernels.ERF_SPLIT));
    // copySign: the magnitude's bits with g's sign bit.
    FloatVector erf = r.abs().reinterpretAsInts()
        .or(g.reinterpretAsInts().and(Integer.MIN_VALUE)).reinterpretAsFloats();
    x.mul(0.5f).mul(erf.add(1f)).intoArray(o, io);
  }

  private static FloatVector bc(float v) {
    return FloatVector.broadcast(FS, v);
  }
}
