package dev.convoy.ir.ops.runtime;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link ExpKernels} on the JDK's Vector API: floats widened to double lanes, the double
 * exponential of the vector library (SVML on x86, accurate to an ulp as {@link Math#exp} is),
 * then rounded back. Loaded only when {@link Blas#vectorized()} holds.
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
}
