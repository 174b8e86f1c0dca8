package dev.convoy.ir.ops.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Stencil}'s rows on the JDK's Vector API: a vector of output columns accumulates every
 * kernel tap in registers, reading the input in place, instead of one pass over the row per tap.
 * Loaded only when {@link Blas#vectorized()} holds.
 */
final class VectorStencil {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();

  private VectorStencil() {}

  /**
   * As {@link Stencil#depthwiseRow} over the columns {@code [from, to)}, a multiple of L long.
   * The sums live in {@code acc} between kernel rows (the same additions in the same order): a
   * vector carried through two nested loops is boxed by C2 on every tap, which made this kernel
   * most of a depthwise network's garbage.
   */
  static void depthwiseRow(float[] x, int[] rows, int kh, int kw, int dw, int pw, float[] w,
      int wBase, float[] acc, int from, int to) {
    java.util.Arrays.fill(acc, from, to, 0f);
    for (int a = 0; a < kh; a++) {
      if (rows[a] < 0) {
        continue;
      }
      int wa = wBase + a * kw;
      for (int o = from; o < to; o += L) {
        int base = rows[a] - pw + o;
        FloatVector v = FloatVector.fromArray(S, acc, o);
        for (int b = 0; b < kw; b++) {
          v = v.add(FloatVector.fromArray(S, x, base + b * dw).mul(w[wa + b]));
        }
        v.intoArray(acc, o);
      }
    }
  }

  static int lanes() {
    return L;
  }
}
