package dev.convoy.ir.ops.runtime;

/**
 * Max pooling channels-last: every tap of a window is a contiguous channel vector, so an output
 * pixel's maximum is an element-wise maximum of whole vectors ({@link #max}). Taps are taken as
 * the standard kernel takes them: the first, then any strictly greater one, so a NaN wins only as
 * the first tap and of equal values (0.0 and -0.0) the first stays. {@link #max} from the lowest
 * value and {@link #firstNaN} let a caller split a window into rows and then columns (the maximum
 * of row maxima) and still get the standard kernel's value bit for bit. The Vector API path
 * ({@code VectorChannelMax}, when {@link Blas#vectorized()}) equals the scalar one bit for bit.
 */
public final class ChannelMax {
  private static final boolean VECTOR = Blas.vectorized();

  private ChannelMax() {}

  /**
   * {@code y[yo + j]} = the maximum over taps {@code t < n} of {@code x[xo + offs[t] + j]} for
   * {@code j < c}: from the first tap ({@code fromLowest} false) or from negative infinity (true,
   * which passes over every NaN); no taps give negative infinity. {@code y} is not {@code x}.
   */
  public static void max(float[] x, int xo, int[] offs, int n, boolean fromLowest, float[] y,
      int yo, int c) {
    if (VECTOR) {
      VectorChannelMax.max(x, xo, offs, n, fromLowest, y, yo, c);
    } else {
      scalarMax(x, xo, offs, n, fromLowest, y, yo, c);
    }
  }

  /**
   * {@link #max} from the first tap for {@code count} output pixels in a row whose windows are
   * the same taps shifted: pixel {@code q} reads {@code x[xo + q * step + offs[t] + j]} and writes
   * {@code y[yo + q * c + j]}. One call per run of a row's interior windows rather than per pixel.
   */
  public static void maxRun(float[] x, int xo, int step, int[] offs, int n, float[] y, int yo,
      int c, int count) {
    if (VECTOR) {
      VectorChannelMax.maxRun(x, xo, step, offs, n, y, yo, c, count);
    } else {
      for (int q = 0; q < count; q++) {
        scalarMax(x, xo + q * step, offs, n, false, y, yo + q * c, c);
      }
    }
  }

  /** {@code y[yo + j] = x[xo + j]} where that is NaN, for {@code j < c}. */
  public static void firstNaN(float[] x, int xo, float[] y, int yo, int c) {
    if (VECTOR) {
      VectorChannelMax.firstNaN(x, xo, y, yo, c);
    } else {
      scalarFirstNaN(x, xo, y, yo, c, 0);
    }
  }

  static void scalarMax(float[] x, int xo, int[] offs, int n, boolean fromLowest, float[] y,
      int yo, int c) {
    int t0 = fromLowest || n == 0 ? 0 : 1;
    for (int j = 0; j < c; j++) {
      float acc = t0 == 0 ? Float.NEGATIVE_INFINITY : x[xo + offs[0] + j];
      for (int t = t0; t < n; t++) {
        float v = x[xo + offs[t] + j];
        acc = v > acc ? v : acc;
      }
      y[yo + j] = acc;
    }
  }

  static void scalarFirstNaN(float[] x, int xo, float[] y, int yo, int c, int from) {
    for (int j = from; j < c; j++) {
      float v = x[xo + j];
      if (v != v) {
        y[yo + j] = v;
      }
    }
  }
}
