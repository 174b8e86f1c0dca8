package dev.convoy.ir.ops.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The elementwise steps of {@link Winograd}'s transforms through the JDK's Vector API: sums and
 * differences of runs of floats at any offsets (the auto-vectorizer gives up on such loops when
 * the offsets differ). Each method does the leading whole vectors and returns how many elements it
 * wrote; {@link Winograd}'s scalar loop does the rest, or all of them when the Vector API is
 * absent. The same operations in the same order, so both paths give the same floats. Links only
 * when the JVM runs with {@code --add-modules jdk.incubator.vector} ({@link Blas#vectorized}).
 */
final class VectorWinograd {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

  private VectorWinograd() {}

  /** {@code o[i] = a[i] + b[i]} (sign {@code +1}) or {@code a[i] - b[i]} (sign {@code -1}). */
  static int addOrSub(float[] a, int ia, float[] b, int ib, boolean add, float[] o, int io,
      int n) {
    int end = S.loopBound(n);
    for (int i = 0; i < end; i += S.length()) {
      FloatVector x = FloatVector.fromArray(S, a, ia + i);
      FloatVector y = FloatVector.fromArray(S, b, ib + i);
      (add ? x.add(y) : x.sub(y)).intoArray(o, io + i);
    }
    return end;
  }

  /** {@code o[i] = ((a[i] + b[i]) + c[i]) + d} or {@code ((a[i] - b[i]) - c[i]) + d}. */
  static int three(float[] a, int ia, float[] b, int ib, float[] c, int ic, boolean add,
      float d, float[] o, int io, int n) {
    int end = S.loopBound(n);
    FloatVector dv = FloatVector.broadcast(S, d);
    for (int i = 0; i < end; i += S.length()) {
      FloatVector x = FloatVector.fromArray(S, a, ia + i);
      FloatVector y = FloatVector.fromArray(S, b, ib + i);
      FloatVector z = FloatVector.fromArray(S, c, ic + i);
      FloatVector r = add ? x.add(y).add(z) : x.sub(y).sub(z);
      r.add(dv).intoArray(o, io + i);
    }
    return end;
  }
}
