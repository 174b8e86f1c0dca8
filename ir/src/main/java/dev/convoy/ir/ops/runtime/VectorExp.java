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

  /** As {@link ExpKernels#gelu} for {@code n} a multiple of {@link #LANES}. */
  static void gelu(float[] a, int ia, float[] o, int io, int n) {
    for (int i = 0; i < n; i += LANES) {
      DoubleVector x = widen(a, ia + i);
      DoubleVector e = erf(x.div(ExpKernels.SQRT2));
      narrow(x.mul(0.5).mul(e.add(1.0))).intoArray(o, io + i);
    }
  }

  private static final long SIGN = 0x8000000000000000L;

  /** {@code |m|} with the sign of {@code x}. */
  private static DoubleVector copySign(DoubleVector m, DoubleVector x) {
    return m.reinterpretAsLongs().and(~SIGN).or(x.reinterpretAsLongs().and(SIGN))
        .reinterpretAsDoubles();
  }

  /**
   * {@link ExpKernels#erf} lane by lane, the same operations in the same order on each interval
   * (an interval's polynomials are skipped when no lane lies in it); only the exponential is the
   * vector library's, which may differ from {@link Math#exp} in the last bit.
   */
  private static DoubleVector erf(DoubleVector x) {
    DoubleVector ax = x.abs();
    DoubleVector z = x.mul(x);
    DoubleVector r = z.mul(ExpKernels.PP4).add(ExpKernels.PP3).mul(z).add(ExpKernels.PP2).mul(z)
        .add(ExpKernels.PP1).mul(z).add(ExpKernels.PP0);
    DoubleVector q = z.mul(ExpKernels.QQ5).add(ExpKernels.QQ4).mul(z).add(ExpKernels.QQ3).mul(z)
        .add(ExpKernels.QQ2).mul(z).add(ExpKernels.QQ1).mul(z).add(1.0);
    DoubleVector y = x.add(x.mul(r.div(q)));
    y = y.blend(x.add(x.mul(ExpKernels.EFX)), ax.lt(0x1p-28));
    var mid = ax.compare(VectorOperators.GE, 0.84375).and(ax.lt(1.25));
    if (mid.anyTrue()) {
      DoubleVector s = ax.sub(1.0);
      DoubleVector p = s.mul(ExpKernels.PA6).add(ExpKernels.PA5).mul(s).add(ExpKernels.PA4)
          .mul(s).add(ExpKernels.PA3).mul(s).add(ExpKernels.PA2).mul(s).add(ExpKernels.PA1)
          .mul(s).add(ExpKernels.PA0);
      DoubleVector d = s.mul(ExpKernels.QA6).add(ExpKernels.QA5).mul(s).add(ExpKernels.QA4)
          .mul(s).add(ExpKernels.QA3).mul(s).add(ExpKernels.QA2).mul(s).add(ExpKernels.QA1)
          .mul(s).add(1.0);
      y = y.blend(copySign(p.div(d).add(ExpKernels.ERX), x), mid);
    }
    var tail = ax.compare(VectorOperators.GE, 1.25).and(ax.lt(6.0));
    if (tail.anyTrue()) {
      DoubleVector s = DoubleVector.broadcast(D, 1.0).div(ax.mul(ax));
      var near = ax.lt(1 / 0.35);
      DoubleVector ra = s.mul(ExpKernels.RA7).add(ExpKernels.RA6).mul(s).add(ExpKernels.RA5)
          .mul(s).add(ExpKernels.RA4).mul(s).add(ExpKernels.RA3).mul(s).add(ExpKernels.RA2)
          .mul(s).add(ExpKernels.RA1).mul(s).add(ExpKernels.RA0);
      DoubleVector sa = s.mul(ExpKernels.SA8).add(ExpKernels.SA7).mul(s).add(ExpKernels.SA6)
          .mul(s).add(ExpKernels.SA5).mul(s).add(ExpKernels.SA4).mul(s).add(ExpKernels.SA3)
          .mul(s).add(ExpKernels.SA2).mul(s).add(ExpKernels.SA1).mul(s).add(1.0);
      DoubleVector rb = s.mul(ExpKernels.RB6).add(ExpKernels.RB5).mul(s).add(ExpKernels.RB4)
          .mul(s).add(ExpKernels.RB3).mul(s).add(ExpKernels.RB2).mul(s).add(ExpKernels.RB1)
          .mul(s).add(ExpKernels.RB0);
      DoubleVector sb = s.mul(ExpKernels.SB7).add(ExpKernels.SB6).mul(s).add(ExpKernels.SB5)
          .mul(s).add(ExpKernels.SB4).mul(s).add(ExpKernels.SB3).mul(s).add(ExpKernels.SB2)
          .mul(s).add(ExpKernels.SB1).mul(s).add(1.0);
      DoubleVector rs = rb.blend(ra, near).div(sb.blend(sa, near));
      DoubleVector zc = ax.reinterpretAsLongs().and(0xffffffff00000000L).reinterpretAsDoubles();
      DoubleVector e = zc.neg().mul(zc).sub(0.5625).lanewise(VectorOperators.EXP)
          .mul(zc.sub(ax).mul(zc.add(ax)).add(rs).lanewise(VectorOperators.EXP));
      y = y.blend(copySign(DoubleVector.broadcast(D, 1.0).sub(e.div(ax)), x), tail);
    }
    y = y.blend(copySign(DoubleVector.broadcast(D, 1.0), x), ax.compare(VectorOperators.GE, 6.0));
    return y.blend(x, x.test(VectorOperators.IS_NAN));
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
}
