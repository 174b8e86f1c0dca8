package dev.convoy.ir.ops.runtime;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link ByteQuantizer}'s loops through the JDK's Vector API: the same float operations lane by
 * lane (division, clamps as {@code Math.min/max}, the add-and-subtract rounding), then a
 * float-to-int and int-to-byte conversion of values already in the byte range, so the results
 * equal the scalar loops'. Linked only when {@code jdk.incubator.vector} is present.
 */
final class VectorByteQuantizer {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class,
      jdk.incubator.vector.VectorShape.forBitSize(L * 8));

  private VectorByteQuantizer() {}

  /** Whether a float vector's lanes fit a byte vector shape this JVM has. */
  static boolean usable() {
    return L >= 8 && B.length() == L;
  }

  static float[] rangeWithZero(float[] x, int off, int n) {
    FloatVector min = FloatVector.zero(S);
    FloatVector max = FloatVector.zero(S);
    VectorMask<Float> nan = S.maskAll(false);
    int i = 0;
    for (; i + L <= n; i += L) {
      FloatVector v = FloatVector.fromArray(S, x, off + i);
      min = min.min(v);
      max = max.max(v);
      nan = nan.or(v.test(VectorOperators.IS_NAN));
    }
    if (nan.anyTrue()) {
      // NaN propagation through the lane-wise reductions is left to the scalar loop.
      return ByteQuantizer.scalarRangeWithZero(x, off, n);
    }
    float[] tail = ByteQuantizer.scalarRangeWithZero(x, off + i, n - i);
    return new float[] {
        Math.min(min.reduceLanes(VectorOperators.MIN), tail[0]),
        Math.max(max.reduceLanes(VectorOperators.MAX), tail[1])};
  }

  static void quantize(float[] x, int off, int n, float scale, float zero, float lo, float hi,
      byte[] out) {
    FloatVector s = FloatVector.broadcast(S, scale);
    FloatVector z = FloatVector.broadcast(S, zero);
    FloatVector r = FloatVector.broadcast(S, ByteQuantizer.ROUNDER);
    FloatVector lower = FloatVector.broadcast(S, -1024f);
    FloatVector upper = FloatVector.broadcast(S, 1024f);
    FloatVector l = FloatVector.broadcast(S, lo);
    FloatVector h = FloatVector.broadcast(S, hi);
    int i = 0;
    for (; i + L <= n; i += L) {
      FloatVector q = FloatVector.fromArray(S, x, off + i).div(s).min(upper).max(lower);
      FloatVector y = q.add(r).sub(r).add(z).min(h).max(l);
      // NaN stays NaN through the clamps; the scalar cast makes it 0.
      y = y.blend(0f, y.test(VectorOperators.IS_NAN));
      ((ByteVector) y.convertShape(VectorOperators.F2B, B, 0)).intoArray(out, i);
    }
    ByteQuantizer.scalarQuantize(x, off, i, n, scale, zero, lo, hi, out);
  }
}
