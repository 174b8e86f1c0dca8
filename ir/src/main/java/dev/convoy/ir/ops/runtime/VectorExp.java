package dev.convoy.ir.ops.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link ExpKernels} on the JDK's Vector API, in float32 lanes of the preferred species only (a
 * second float species, as a half-width one for widening to doubles, made the JDK's shared call
 * sites polymorphic and failed the store intrinsic in every other kernel compiled after it:
 * yolox_nano's NHWC GEMM tiles ran 7x slower): the sigmoid and GELU by the same operations as
 * {@link ExpKernels#sigmoidFloat} and {@link ExpKernels#erfFloat}, so both paths give the same
 * bits. Loaded only when {@link Blas#vectorized()} holds.
 */
final class VectorExp {
  private VectorExp() {}

  private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;

  /**
   * As {@link ExpKernels#sigmoid} ({@code swish} false) or {@link ExpKernels#swish}, the same
   * operations as {@link ExpKernels#sigmoidFloat} lane by lane; returns how many leading elements
   * it wrote (whole vectors).
   */
  static int sigmoid(float[] a, int ia, float[] o, int io, int n, boolean swish) {
    int end = n / FS.length() * FS.length();
    FloatVector zero = FloatVector.zero(FS);
    for (int i = 0; i < end; i += FS.length()) {
      FloatVector x = FloatVector.fromArray(FS, a, ia + i);
      FloatVector t = x.neg().max(ExpKernels.SIGMOID_T_MIN).min(ExpKernels.SIGMOID_T_MAX);
      FloatVector k = t.fma(ExpKernels.LOG2E_F, ExpKernels.ROUND_MAGIC);
      FloatVector nk = k.sub(ExpKernels.ROUND_MAGIC);
      FloatVector f = nk.fma(LN2_HI, t);
      f = nk.fma(LN2_LO, f);
      FloatVector y =
          EXP_0.fma(f, EXP_1).fma(f, EXP_2).fma(f, EXP_3).fma(f, EXP_4).fma(f, ONE).fma(f, ONE);
      FloatVector scale = k.reinterpretAsInts()
          .sub(ExpKernels.ROUND_MAGIC_BITS - 127).lanewise(VectorOperators.LSHL, 23)
          .reinterpretAsFloats();
      FloatVector s = ONE.div(y.mul(scale).add(ONE));
      s = s.blend(zero, x.lt(ExpKernels.SIGMOID_ZERO_BELOW));
      (swish ? x.mul(s) : s).intoArray(o, io + i);
    }
    return end;
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
        // -0 is the one float whose bits are Integer.MIN_VALUE, compared as ints: the float
        // mask of test(IS_NEGATIVE) is an int mask cast, which JDK 17 ran through its boxed
        // fallback in mobilenet_v2's profile (steady state 0.13 -> 0.10 ns a value).
        IntVector xi = x.reinterpretAsInts();
        r = r.reinterpretAsInts().blend(xi, xi.eq(Integer.MIN_VALUE)).reinterpretAsFloats();
      }
      r.intoArray(o, io + i);
    }
    return end;
  }

  /**
   * GELU's and the exponential's constants (the sigmoid uses the latter too), each in every lane
   * (created once: a broadcast allocates until C2).
   */
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
   * GELU's int operands (the exponent bias step of 2^k, copySign's sign bit) as vectors made
   * once: an int scalar operand goes through IntVector's broadcast, which C2 left as allocating
   * calls in some of all-minilm's runs (JFR: Int512Vector.broadcast under geluVector 4 s in).
   */
  private static final IntVector EXP_BIAS_BITS =
      IntVector.broadcast(FS.withLanes(int.class), ExpKernels.ROUND_MAGIC_BITS - 127);
  private static final IntVector SIGN_BITS =
      IntVector.broadcast(FS.withLanes(int.class), Integer.MIN_VALUE);

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
    FloatVector scale = k.reinterpretAsInts().sub(EXP_BIAS_BITS)
        .lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    FloatVector big = ONE.sub(y.mul(scale));
    FloatVector r = small.blend(big, ax.compare(VectorOperators.GT, ExpKernels.ERF_SPLIT));
    // copySign: the magnitude's bits with g's sign bit.
    FloatVector erf = r.abs().reinterpretAsInts()
        .or(g.reinterpretAsInts().and(SIGN_BITS)).reinterpretAsFloats();
    x.mul(0.5f).mul(erf.add(1f)).intoArray(o, io);
  }

  private static FloatVector bc(float v) {
    return FloatVector.broadcast(FS, v);
  }
}
