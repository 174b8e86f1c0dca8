package dev.convoy.ir.ops.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link RowMax}'s loop on the JDK's Vector API with the preferred species (the one {@link
 * VectorGemm} uses): whole vectors with the lane-wise MAX, the tail by the scalar loop. Loaded
 * only when {@link Blas#vectorized()} holds.
 */
final class VectorRowMax {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();

  private VectorRowMax() {}

  static void maxInto(float[] acc, int ao, float[] v, int vo, int n) {
    int j = 0;
    for (; j + L <= n; j += L) {
      FloatVector.fromArray(S, acc, ao + j)
          .lanewise(VectorOperators.MAX, FloatVector.fromArray(S, v, vo + j))
          .intoArray(acc, ao + j);
    }
    RowMax.scalarMaxInto(acc, ao, v, vo, n, j);
  }
}
