package dev.convoy.ir.ops.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link ByteQuantizer}'s float loops on the JDK's Vector API, operation for operation (division,
 * clamps, the add-and-subtract rounding, min and max are exact IEEE operations in any lane), so
 * both give the same values. Loaded only when {@link Blas#vectorized()} holds.
 */
final class VectorQuantizer {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();

  private VectorQuantizer() {}

  /**
   * {@code {min(lo, x...), max(hi, x...)}} over the leading whole vectors of {@code x[off, off +
   * n)}; returns how many elements it read in {@code done[0]}.
   */
  static float[] range(float[] x, int off, int n, float lo, float hi, int[] done) {
    int end = n / L * L;
    FloatVector min = FloatVector.broadcast(S, lo);
    FloatVector max = FloatVector.broadcast(S, hi);
    for (int i = 0; i < end; i += L) {
      FloatVector v = FloatVector.fromArray(S, x, off + i);
      min = min.min(v);
      max = max.max(v);
    }
    done[0] = end;
    return new float[] {min.reduceLanes(VectorOperators.MIN),
        max.reduceLanes(VectorOperators.MAX)};
  }

  /** As {@link ByteQuantizer#quantizeCentred}; returns how many leading elements it wrote. */
  static int quantizeCentred(float[] x, int off, int n, float scale, float zero, float lo,
      float hi, float[] out, int outOff) {
    int end = n / L * L;
    for (int i = 0; i < end; i += L) {
      FloatVector q = quantized(FloatVector.fromArray(S, x, off + i), scale, zero, lo, hi);
      q.sub(zero).intoArray(out, outOff + i);
    }
    return end;
  }

  /** As {@link ByteQuantizer#quantize}; returns how many leading elements it wrote. */
  static int quantize(float[] x, int off, int n, float scale, float zero, float lo, float hi,
      byte[] out) {
    int end = n / L * L;
    float[] q = new float[L];
    for (int i = 0; i < end; i += L) {
      quantized(FloatVector.fromArray(S, x, off + i), scale, zero, lo, hi).intoArray(q, 0);
      // The narrowing stays scalar: JDK 17 does not intrinsify the float-to-byte conversion.
      for (int j = 0; j < L; j++) {
        out[i + j] = (byte) (int) q[j];
      }
    }
    return end;
  }

  /**
   * {@code saturate(rint(x / scale) + zero)}, 0 for NaN (as the scalar loop's cast of a NaN
   * gives).
   */
  private static FloatVector quantized(FloatVector x, float scale, float zero, float lo,
      float hi) {
    FloatVector c = x.div(scale).min(1024f).max(-1024f);
    FloatVector q = c.add(ROUNDER).sub(ROUNDER).add(zero).min(hi).max(lo);
    return q.blend(0f, q.test(VectorOperators.IS_NAN));
  }

  private static final float ROUNDER = 12582912f;
}
