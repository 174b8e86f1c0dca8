package dev.convoy.ir.ops.runtime;

/**
 * Float32 to 8-bit quantization with one scale and zero point, for QuantizeLinear and
 * DynamicQuantizeLinear: {@code saturate(rint(x / scale) + zero)} with the float32 quotient, and
 * the range of a tensor widened to include 0. Computed in float without widening: the quotient
 * is clamped to [-1024, 1024] (beyond, the result saturates either way for 8-bit ranges and zero
 * points), where adding and subtracting 1.5 * 2^23 rounds to the nearest integer, ties to even,
 * as {@code Math.rint} does; NaN gives 0, as the cast of a NaN does. (A Vector API version of
 * these loops measured no faster on JDK 17: its float-to-byte conversion is not intrinsified.)
 */
public final class ByteQuantizer {
  /** 1.5 * 2^23: {@code (q + ROUNDER) - ROUNDER} is {@code rint(q)} for |q| up to 2^22. */
  private static final float ROUNDER = 12582912f;

  private ByteQuantizer() {}

  /** {@code {min(0, x...), max(0, x...)}} over {@code x[off, off + n)}, as {@code Math.min/max}. */
  public static float[] rangeWithZero(float[] x, int off, int n) {
    float min = 0;
    float max = 0;
    for (int i = off; i < off + n; i++) {
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
    for (int i = 0; i < n; i++) {
      float c = Math.max(-1024f, Math.min(1024f, x[off + i] / scale));
      out[i] = (byte) (int) Math.max(lo, Math.min(hi, ((c + ROUNDER) - ROUNDER) + zero));
    }
  }

  /**
   * {@code out[i] = saturate(rint(x[off + i] / scale) + zero) - zero}: {@link #quantize} and the
   * re-centring on the zero point an integer product applies, in one pass (every value exact).
   */
  public static void quantizeCentred(float[] x, int off, int n, float scale, float zero,
      float lo, float hi, float[] out) {
    for (int i = 0; i < n; i++) {
      float c = Math.max(-1024f, Math.min(1024f, x[off + i] / scale));
      out[i] = Math.max(lo, Math.min(hi, ((c + ROUNDER) - ROUNDER) + zero)) - zero;
    }
  }
}
