package dev.convoy.ir.ops.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link ChannelMax}'s loops on the JDK's Vector API with the preferred species (the one {@link
 * VectorGemm} uses): one vector of channels at a time, {@code v > acc ? v : acc} as a compare and
 * a blend. Channels past the last whole vector are redone as the vector ending at {@code c} (a
 * maximum taken again, or a NaN copied again, changes no lane already stored), or by the scalar
 * loop when {@code c} is shorter than a vector. Loaded only when {@link Blas#vectorized()} holds.
 */
final class VectorChannelMax {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();

  private VectorChannelMax() {}

  static void max(float[] x, int xo, int[] offs, int n, boolean fromLowest, float[] y, int yo,
      int c) {
    if (c < L) {
      ChannelMax.scalarMax(x, xo, offs, n, fromLowest, y, yo, c);
      return;
    }
    int t0 = fromLowest || n == 0 ? 0 : 1;
    for (int j = 0; j < c; j += L) {
      int jv = Math.min(j, c - L);
      FloatVector acc = t0 == 0 ? FloatVector.broadcast(S, Float.NEGATIVE_INFINITY)
          : FloatVector.fromArray(S, x, xo + offs[0] + jv);
      for (int t = t0; t < n; t++) {
        FloatVector v = FloatVector.fromArray(S, x, xo + offs[t] + jv);
        acc = acc.blend(v, v.compare(VectorOperators.GT, acc));
      }
      acc.intoArray(y, yo + jv);
    }
  }

  /**
   * As {@link ChannelMax#maxRun}: per pixel, {@link #max} from the first tap. The taps' vectors of
   * a narrow channel count (one or two vectors: the second ending at {@code c}) stay in the loop.
   */
  static void maxRun(float[] x, int xo, int step, int[] offs, int n, float[] y, int yo, int c,
      int count) {
    if (c < L || c > 2 * L || n == 0) {
      for (int q = 0; q < count; q++) {
        max(x, xo + q * step, offs, n, false, y, yo + q * c, c);
      }
      return;
    }
    int hi = c - L;
    for (int q = 0; q < count; q++) {
      int xq = xo + q * step;
      FloatVector lo = FloatVector.fromArray(S, x, xq + offs[0]);
      FloatVector up = FloatVector.fromArray(S, x, xq + offs[0] + hi);
      for (int t = 1; t < n; t++) {
        FloatVector v = FloatVector.fromArray(S, x, xq + offs[t]);
        lo = lo.blend(v, v.compare(VectorOperators.GT, lo));
        FloatVector w = FloatVector.fromArray(S, x, xq + offs[t] + hi);
        up = up.blend(w, w.compare(VectorOperators.GT, up));
      }
      lo.intoArray(y, yo + q * c);
      up.intoArray(y, yo + q * c + hi);
    }
  }

  static void firstNaN(float[] x, int xo, float[] y, int yo, int c) {
    int j = 0;
    for (; j + L <= c; j += L) {
      nanVector(x, xo, y, yo, j);
    }
    if (j < c && c >= L) {
      nanVector(x, xo, y, yo, c - L);
      return;
    }
    ChannelMax.scalarFirstNaN(x, xo, y, yo, c, j);
  }

  private static void nanVector(float[] x, int xo, float[] y, int yo, int j) {
    FloatVector v = FloatVector.fromArray(S, x, xo + j);
    // NaN is the value unequal to itself: a float compare, where test(IS_NAN) casts an int mask
    // (a boxed fallback under JDK 17's C2).
    FloatVector.fromArray(S, y, yo + j).blend(v, v.compare(VectorOperators.NE, v))
        .intoArray(y, yo + j);
  }
}
