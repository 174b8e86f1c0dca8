package dev.convoy.ir.ops.runtime;

/**
 * The product behind a channels-last convolution, {@code Y[pixels, M] = A[pixels, K] * W[K, M] +
 * bias}, shaped for what NHWC gives: many rows (pixels, long) and few columns (output channels,
 * 8-256). The NCHW-minded {@link Blas#sgemm} tiles along long rows of C, which here are the short
 * channel runs; this kernel instead keeps a tile of four pixels by up to {@link #PANEL} output
 * channels in vector registers while the k loop runs, so each weight vector loaded feeds four
 * pixels and each input value broadcast feeds up to four vectors.
 *
 * <p>The weight is packed once per constant ({@link #pack}) into panels of up to {@link #PANEL}
 * output channels, each {@code [K][panel width]} contiguous and zero-padded to whole vectors of
 * {@value #LANES}, so the kernel streams one panel per tile with no masks. Every output element
 * is {@code fma(a2, b2, fma(a1, b1, fma(a0, b0, 0)))...} in plain k order (one rounding per
 * term: the fused multiply-add is 1.3x the multiply-then-add on the wide tiles, and closer to the
 * exact sum), then {@code + bias}; the Vector API path ({@code VectorNhwc}, when {@link
 * Blas#vectorized()}) equals the scalar one bit for bit.
 */
public final class NhwcGemm {
  private static final boolean VECTOR = Blas.vectorized();
  /** Floats per vector of the packed layout: the Vector API's preferred length, else 8. */
  static final int LANES = VECTOR ? VectorNhwc.lanes() : 8;
  /** Output channels per packed panel: four vectors. */
  static final int PANEL = 4 * LANES;

  private NhwcGemm() {}

  /**
   * A weight {@code [K, M]} packed per group of {@code mg} output channels: group {@code g}'s
   * panels start at {@code g * k * mgPad}, panel {@code j0} (a multiple of {@link #PANEL}) at
   * {@code + j0 * k}, holding {@code [K][min(PANEL, mgPad - j0)]}.
   *
   * @param k rows of the weight (the product's inner dimension)
   * @param mg output channels per group
   * @param mgPad {@code mg} rounded up to whole vectors
   * @param groups number of groups; group g uses the weight's columns {@code [g*mg, (g+1)*mg)}
   * @param w the packed floats
   */
  public record Packed(int k, int mg, int mgPad, int groups, float[] w) {}

  /** Packs the row-major weight {@code w[K, groups * mg]} (a convolution's HWIO weight). */
  public static Packed pack(float[] w, int k, int mg, int groups) {
    int mgPad = (mg + LANES - 1) / LANES * LANES;
    int m = mg * groups;
    float[] p = new float[groups * k * mgPad];
    for (int g = 0; g < groups; g++) {
      for (int j0 = 0; j0 < mgPad; j0 += PANEL) {
        int width = Math.min(PANEL, mgPad - j0);
        int valid = Math.max(0, Math.min(width, mg - j0));
        int base = g * k * mgPad + j0 * k;
        for (int kk = 0; kk < k; kk++) {
          System.arraycopy(w, kk * m + g * mg + j0, p, base + kk * width, valid);
        }
      }
    }
    return new Packed(k, mg, mgPad, groups, p);
  }

  /**
   * {@code y[r*ldy + yOff + j] = sum_kk a[aOff + r*lda + kk] * W_g[kk, j] (+ bias[g*mg + j])} for
   * rows {@code r < rows} and the group's {@code mg} channels {@code j}; {@code bias} may be null.
   * Other elements of y are left alone.
   */
  public static void multiply(int rows, float[] a, int aOff, int lda, Packed w, int g,
      float[] bias, float[] y, int yOff, int ldy) {
    if (VECTOR) {
      VectorNhwc.multiply(rows, a, aOff, lda, w, g, bias, y, yOff, ldy);
    } else {
      scalarMultiply(rows, a, aOff, lda, w, g, bias, y, yOff, ldy);
    }
  }

  /**
   * Rows per call of {@link #multiplyTaps} for weight {@code w} (calls take a multiple), or 0
   * where it does not run: without the Vector API, or for panels wider than two vectors.
   */
  public static int tapRows(Packed w) {
    return VECTOR && VectorNhwc.tapsFit(w.mgPad()) ? VectorNhwc.tapRows() : 0;
  }

  /**
   * As {@link #multiply} with row r, column kk of the left operand at {@code a[aOff + r*lda +
   * taps[kk]]}: a convolution's patches read in place. Only where {@link #tapRows} is positive,
   * for a multiple of it rows; equal bit for bit to {@link #multiply} on the copied patches.
   */
  public static void multiplyTaps(int rows, float[] a, int aOff, int lda, int[] taps, Packed w,
      int g, float[] bias, float[] y, int yOff, int ldy) {
    VectorNhwc.multiplyTaps(rows, a, aOff, lda, taps, w, g, bias, y, yOff, ldy);
  }

  /** Whether the Vector API kernels run (for tests and benchmark notes). */
  public static boolean vectorized() {
    return VECTOR;
  }

  /** The scalar path of {@link #multiply}, also the reference the vector one equals. */
  static void scalarMultiply(int rows, float[] a, int aOff, int lda, Packed w, int g,
      float[] bias, float[] y, int yOff, int ldy) {
    int k = w.k();
    float[] acc = new float[PANEL];
    for (int j0 = 0; j0 < w.mgPad(); j0 += PANEL) {
      int width = Math.min(PANEL, w.mgPad() - j0);
      int valid = Math.min(width, w.mg() - j0);
      int panel = g * k * w.mgPad() + j0 * k;
      int b0 = g * w.mg() + j0;
      for (int r = 0; r < rows; r++) {
        java.util.Arrays.fill(acc, 0f);
        int ar = aOff + r * lda;
        for (int kk = 0; kk < k; kk++) {
          float av = a[ar + kk];
          int bo = panel + kk * width;
          for (int j = 0; j < width; j++) {
            acc[j] = Math.fma(av, w.w()[bo + j], acc[j]);
          }
        }
        int dst = yOff + r * ldy + j0;
        for (int j = 0; j < valid; j++) {
          y[dst + j] = bias == null ? acc[j] : acc[j] + bias[b0 + j];
        }
      }
    }
  }
}
