package dev.convoy.ir.ops.runtime;

/**
 * Element-wise maximum of float rows as {@link Math#max} takes it (a NaN wins, +0.0 is above
 * -0.0): the inner loop of the NCHW MaxPool kernel, which folds window taps and sliding window
 * maxima row by row and redoes the windows that came out NaN. HotSpot does not vectorize
 * {@code Math.max} over floats; the Vector API path ({@code VectorRowMax}, when {@link
 * Blas#vectorized()}) uses the lane-wise MAX, which is defined as {@code Math.max}, so both give
 * the same floats.
 */
public final class RowMax {
  private static final boolean VECTOR = Blas.vectorized();

  private RowMax() {}

  /** {@code acc[ao + j] = Math.max(acc[ao + j], v[vo + j])} for {@code j < n}. */
  public static void maxInto(float[] acc, int ao, float[] v, int vo, int n) {
    if (VECTOR) {
      VectorRowMax.maxInto(acc, ao, v, vo, n);
    } else {
      scalarMaxInto(acc, ao, v, vo, n, 0);
    }
  }

  static void scalarMaxInto(float[] acc, int ao, float[] v, int vo, int n, int from) {
    for (int j = from; j < n; j++) {
      acc[ao + j] = Math.max(acc[ao + j], v[vo + j]);
    }
  }
}
