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
   * Floats per call of {@link #rangeBlock}. HotSpot compiles a method with C2 once its call count
   * (or, much later, its loop back-edge count) passes a threshold, and until then every Vector
   * API operation allocates: one call per tensor kept these loops boxed for tens of all-minilm
   * runs. The quantizing loops call a method per vector, which gets there soonest; the range
   * keeps its two accumulators in registers over a block of 16 vectors.
   */
  private static final int BLOCK = 16 * L;

  /**
   * {@code {min(lo, x...), max(hi, x...)}} over the leading whole vectors of {@code x[off, off +
   * n)}; returns how many elements it read in {@code done[0]}. Min and max are exact and their
   * order does not matter (NaN wins, -0 is below +0), so blocks may be reduced one by one.
   */
  static float[] range(float[] x, int off, int n, float lo, float hi, int[] done) {
    int end = n / L * L;
    float[] r = {lo, hi};
    for (int i = 0; i < end; i += BLOCK) {
      rangeBlock(x, off + i, Math.min(BLOCK, end - i), r);
    }
    done[0] = end;
    return r;
  }

  /** {@code r = {min(r[0], x...), max(r[1], x...)}} over {@code x[off, off + n)}, whole vectors. */
  private static void rangeBlock(float[] x, int off, int n, float[] r) {
    FloatVector min = FloatVector.broadcast(S, r[0]);
    FloatVector max = FloatVector.broadcast(S, r[1]);
    for (int i = 0; i < n; i += L) {
      FloatVector v = FloatVector.fromArray(S, x, off + i);
      min = min.min(v);
      max = max.max(v);
    }
    r[0] = min.reduceLanes(VectorOperators.MIN);
    r[1] = max.reduceLanes(VectorOperators.MAX);
  }

  /** As {@link ByteQuantizer#quantizeCentred}; returns how many leading elements it wrote. */
  static int quantizeCentred(float[] x, int off, int n, float scale, float zero, float lo,
      float hi, float[] out, int outOff) {
    int end = n / L * L;
    for (int i = 0; i < end; i += L) {
      quantizeCentredVector(x, off + i, scale, zero, lo, hi, out, outOff + i);
    }
    return end;
  }

  private static void quantizeCentredVector(float[] x, int off, float scale, float zero,
      float lo, float hi, float[] out, int outOff) {
    quantized(FloatVector.fromArray(S, x, off), scale, zero, lo, hi).sub(zero)
        .intoArray(out, outOff);
  }

  /** As {@link ByteQuantizer#quantize}; returns how many leading elements it wrote. */
  static int quantize(float[] x, int off, int n, float scale, float zero, float lo, float hi,
      byte[] out) {
    int end = n / L * L;
    float[] q = new float[L];
    for (int i = 0; i < end; i += L) {
      quantizeVector(x, off + i, scale, zero, lo, hi, q, out, i);
    }
    return end;
  }

  private static void quantizeVector(float[] x, int off, float scale, float zero, float lo,
      float hi, float[] q, byte[] out, int outOff) {
    quantized(FloatVector.fromArray(S, x, off), scale, zero, lo, hi).intoArray(q, 0);
    // The narrowing stays scalar: JDK 17 does not intrinsify the float-to-byte conversion.
    for (int j = 0; j < L; j++) {
      out[outOff + j] = (byte) (int) q[j];
    }
  }

  /**
   * {@code saturate(rint(x / scale) + zero)}, 0 for NaN (as the scalar loop's cast of a NaN
   * gives). NaN is found as the lane that differs from itself: JDK 17's {@code test(IS_NAN)}
   * goes through integer lanes and a broadcast that C2 left as calls, allocating on every vector.
   */
  private static FloatVector quantized(FloatVector x, float scale, float zero, float lo,
      float hi) {
    FloatVector c = x.div(scale).min(1024f).max(-1024f);
    FloatVector q = c.add(ROUNDER).sub(ROUNDER).add(zero).min(hi).max(lo);
    return q.blend(0f, q.compare(VectorOperators.NE, q));
  }

  private static final float ROUNDER = 12582912f;
}
