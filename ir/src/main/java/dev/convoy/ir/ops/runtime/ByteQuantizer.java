package dev.convoy.ir.ops.runtime;

/**
 * Float32 to 8-bit quantization with one scale and zero point, for QuantizeLinear and
 * DynamicQuantizeLinear: {@code saturate(rint(x / scale) + zero)} with the float32 quotient, and
 * the range of a tensor widened to include 0. Computed in float without widening: the quotient
 * is clamped to [-1024, 1024] (beyond, the result saturates either way for 8-bit ranges and zero
 * points), where adding and subtracting 1.5 * 2^23 rounds to the nearest integer, ties to even,
 * as {@code Math.rint} does; NaN gives 0, as the cast of a NaN does. The float work runs on
 * {@link VectorQuantizer} where the JVM has the Vector API (the narrowing to bytes stays scalar:
 * JDK 17 does not intrinsify it).
 */
public final class ByteQuantizer {
  /** 1.5 * 2^23: {@code (q + ROUNDER) - ROUNDER} is {@code rint(q)} for |q| up to 2^22. */
  private static final float ROUNDER = 12582912f;

  private ByteQuantizer() {}

  /** {@code {min(0, x...), max(0, x...)}} over {@code x[off, off + n)}, as {@code Math.min/max}. */
  public static float[] rangeWithZero(float[] x, int off, int n) {
    float min = 0;
    float max = 0;
    int i = 0;
    if (Blas.vectorized()) {
      int[] done = new int[1];
      float[] r = VectorQuantizer.range(x, off, n, 0f, 0f, done);
      min = r[0];
      max = r[1];
      i = done[0];
    }
    for (i += off; i < off + n; i++) {
      min = Math.min(min, x[i]);
      max = Math.max(max, x[i]);
    }
    return new float[] {min, max};
  }

  /**
   * {@code out[i] = saturate(rint(x[off + i] / scale) + zero)} to {@code [lo, hi]} for {@code i <
   * n}, with {@code zero}, {@code lo} and {@code hi} integers of an 8-bit type's range.
   */
  public static void quantize(float[] x, int off, int n, float scale, float zero, float lo,
      float hi, byte[] out) {
    int i = Blas.vectorized() ? VectorQuantizer.quantize(x, off, n, scale, zero, lo, hi, out) : 0;
    for (; i < n; i++) {
      float c = Math.max(-1024f, Math.min(1024f, x[off + i] / scale));
      out[i] = (byte) (int) Math.max(lo, Math.min(hi, ((c + ROUNDER) - ROUNDER) + zero));
    }
  }

  /**
   * {@code out[i] = q - zero} with {@code q} what {@link #quantize} writes (0 for a NaN): the
   * quantization and the re-centring on the zero point an integer product applies, in one pass
   * (every value exact), on the Vector API where the JVM has it.
   */
  public static void quantizeCentred(float[] x, int off, int n, float scale, float zero,
      float lo, float hi, float[] out) {
    int i = Blas.vectorized()
        ? VectorQuantizer.quantizeCentred(x, off, n, scale, zero, lo, hi, out, 0) : 0;
    for (; i < n; i++) {
      float c = Math.max(-1024f, Math.min(1024f, x[off + i] / scale));
      float q = Math.max(lo, Math.min(hi, ((c + ROUNDER) - ROUNDER) + zero));
      out[i] = (q == q ? q : 0f) - zero;
    }
  }
}
