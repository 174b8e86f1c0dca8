package dev.convoy.ir.ops.runtime;

/**
 * Sliding-window row kernels for the convolutions. {@link #depthwiseRow} computes one output row
 * of a unit-stride depthwise convolution, each column the sum of its window's taps in kernel
 * order from zero, on the Vector API where the JVM has it ({@link VectorStencil}) and in scalar
 * loops otherwise; both give identical results.
 */
public final class Stencil {
  private Stencil() {}

  /**
   * Whether {@link #depthwiseRow} beats a caller's own tap-by-tap loop on rows {@code ow} wide:
   * only on the Vector API and with at least two vectors of columns, since the window's edge
   * columns run scalar.
   */
  public static boolean pays(int ow) {
    return Blas.vectorized() && ow >= 2 * VectorStencil.lanes();
  }

  /**
   * {@code acc[o] = sum over kernel rows a with rows[a] >= 0, then taps b with lo[b] <= o <
   * hi[b], of w[wBase + a*kw + b] * x[rows[a] + b*dw - pw + o]} for every column o of {@code
   * [0, ow)}, added in (a, b) order starting from zero. {@code rows[a]} is the offset of the
   * input row kernel row a reads, or -1 where it lies in the padding; {@code [lo[b], hi[b])} are
   * the columns whose tap b reads inside the input row.
   */
  public static void depthwiseRow(float[] x, int[] rows, int kh, int kw, int dw, int pw,
      float[] w, int wBase, int[] lo, int[] hi, float[] acc, int ow) {
    int inLo = 0;
    int inHi = ow;
    for (int b = 0; b < kw; b++) {
      inLo = Math.max(inLo, lo[b]);
      inHi = Math.min(inHi, hi[b]);
    }
    int vecEnd = inLo;
    if (Blas.vectorized() && inHi > inLo) {
      int lanes = VectorStencil.lanes();
      vecEnd = inLo + (inHi - inLo) / lanes * lanes;
      VectorStencil.depthwiseRow(x, rows, kh, kw, dw, pw, w, wBase, acc, inLo, vecEnd);
    }
    scalarColumns(x, rows, kh, kw, dw, pw, w, wBase, lo, hi, acc, 0, inLo);
    scalarColumns(x, rows, kh, kw, dw, pw, w, wBase, lo, hi, acc, vecEnd, ow);
  }

  private static void scalarColumns(float[] x, int[] rows, int kh, int kw, int dw, int pw,
      float[] w, int wBase, int[] lo, int[] hi, float[] acc, int from, int to) {
    for (int o = from; o < to; o++) {
      float s = 0f;
      for (int a = 0; a < kh; a++) {
        if (rows[a] < 0) {
          continue;
        }
        int base = rows[a] - pw + o;
        for (int b = 0; b < kw; b++) {
          if (o >= lo[b] && o < hi[b]) {
            s += w[wBase + a * kw + b] * x[base + b * dw];
          }
        }
      }
      acc[o] = s;
    }
  }
}
