package dev.convoy.ir.ops.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API part of {@link ExpKernels}: ReLU as a compare and blend per vector. (The
 * exponentials once here, on the vector library's SVML, are gone: see {@link ExpKernels} for
 * what they cost the kernels running after them.) Loaded only when {@link Blas#vectorized()}
 * holds.
 */
final class VectorExp {
  private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;

  private VectorExp() {}

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
