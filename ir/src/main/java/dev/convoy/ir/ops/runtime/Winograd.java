package dev.convoy.ir.ops.runtime;

/**
 * The transforms of Winograd's minimal filtering algorithm F(2x2, 3x3) (Lavin and Gray, "Fast
 * Algorithms for Convolutional Neural Networks", 2016), which {@code convoy::WinogradConv} runs:
 * a 2x2 block of a 3x3 convolution's output is {@code A^T [(G g G^T) . (B^T d B)] A}, for the 4x4
 * input patch {@code d} under it and the 3x3 filter {@code g}; summed over input channels, the
 * elementwise products become 16 independent matrix products {@code [M x C] x [C x tiles]}, with
 * 16 multiplications per output pair of a channel where the direct convolution needs 36.
 *
 * <pre>
 *   B^T = | 1  0 -1  0 |     G = | 1    0    0  |     A^T = | 1  1  1  0 |
 *         | 0  1  1  0 |         | 1/2  1/2  1/2|           | 0  1 -1 -1 |
 *         | 0 -1  1  0 |         | 1/2 -1/2  1/2|
 *         | 0  1  0 -1 |         | 0    0    1  |
 * </pre>
 *
 * The filter side, {@code U = G g G^T}, is computed once, offline, in double precision and rounded
 * to float ({@link #transformFilters}); {@link #recoverFilters} inverts it for export with the left
 * inverse {@code L = [[1,0,0,0],[0,1,-1,0],[0,0,0,1]]} of {@code G} ({@code L G = I}), which
 * reads the corners of {@code g} straight from the corners of {@code U} (exact) and the rest from
 * differences of its entries. The data transforms ({@link #inputBlock}, {@link #outputBlock}) run
 * over a whole block of tiles per step, on the Vector API where present ({@link VectorWinograd}).
 */
public final class Winograd {
  /** Output rows and columns per tile. */
  public static final int TILE = 2;
  /** Input rows and columns per tile (the tile plus the filter's reach). */
  public static final int PATCH = 4;
  /** Transformed positions per tile: the number of matrix products. */
  public static final int POSITIONS = PATCH * PATCH;

  private static final double[][] G = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};

  private Winograd() {}

  /**
   * The transformed filters {@code U[16, M, C]} of a 3x3 weight {@code g[M, C, 3, 3]} (OIHW):
   * {@code U[4a + b][m][c] = (G g[m][c] G^T)[a][b]}, each entry summed in double and rounded once.
   */
  public static float[] transformFilters(float[] g, int m, int c) {
    float[] u = new float[POSITIONS * m * c];
    double[] t = new double[PATCH * 3];
    for (int oc = 0; oc < m; oc++) {
      for (int ic = 0; ic < c; ic++) {
        int f = (oc * c + ic) * 9;
        for (int a = 0; a < PATCH; a++) {
          for (int j = 0; j < 3; j++) {
            double s = 0;
            for (int k = 0; k < 3; k++) {
              s += G[a][k] * g[f + k * 3 + j];
            }
            t[a * 3 + j] = s;
          }
        }
        for (int a = 0; a < PATCH; a++) {
          for (int b = 0; b < PATCH; b++) {
            double s = 0;
            for (int j = 0; j < 3; j++) {
              s += t[a * 3 + j] * G[b][j];
            }
            u[((a * PATCH + b) * m + oc) * c + ic] = (float) s;
          }
        }
      }
    }
    return u;
  }

  /**
   * The 3x3 weight {@code g[M, C, 3, 3]} back from {@code U[16, M, C]}: {@code g = L U L^T} in
   * double, rounded once; the corners are {@code U}'s corners exactly, the rest within a few
   * float roundings of the original.
   */
  public static float[] recoverFilters(float[] u, int m, int c) {
    float[] g = new float[m * c * 9];
    int plane = m * c;
    double[] t = new double[3 * PATCH];
    for (int oc = 0; oc < m; oc++) {
      for (int ic = 0; ic < c; ic++) {
        int at = oc * c + ic;
        for (int b = 0; b < PATCH; b++) {
          double u0 = u[b * plane + at];
          double u1 = u[(PATCH + b) * plane + at];
          double u2 = u[(2 * PATCH + b) * plane + at];
          double u3 = u[(3 * PATCH + b) * plane + at];
          t[b] = u0;
          t[PATCH + b] = u1 - u2;
          t[2 * PATCH + b] = u3;
        }
        for (int i = 0; i < 3; i++) {
          int r = i * PATCH;
          g[at * 9 + i * 3] = (float) t[r];
          g[at * 9 + i * 3 + 1] = (float) (t[r + 1] - t[r + 2]);
          g[at * 9 + i * 3 + 2] = (float) t[r + 3];
        }
      }
    }
    return g;
  }

  /**
   * A block of tiles of one channel, transformed: tile {@code t} of {@code [0, n)} covers input rows
   * {@code r = 0..3}, whose even and odd columns lie at {@code rows[rowsOff + (2r) * (n + 1) + t]}
   * and {@code rows[rowsOff + (2r + 1) * (n + 1) + t]} (each column pair of a tile followed by the
   * next pair at {@code t + 1}: zero where the padding is); position {@code 4a + b} of tile {@code
   * t} goes to {@code v[vOff + (4a + b) * vStride + t]}. {@code h} holds {@code 4n} floats of work
   * space from {@code hOff}. Every step runs over the whole block.
   */
  public static void inputBlock(float[] rows, int rowsOff, int n, float[] h, int hOff, float[] v,
      int vOff, int vStride) {
    int stride = n + 1;
    for (int b = 0; b < PATCH; b++) {
      // (d B) column b of each of the four rows: e0 - e1, o0 + e1, e1 - o0, o0 - o1 (e0, o0
      // the tile's column pair, e1, o1 the next tile's).
      for (int r = 0; r < PATCH; r++) {
        int e = rowsOff + 2 * r * stride;
        int o = e + stride;
        int dst = hOff + r * n;
        switch (b) {
          case 0 -> addOrSub(rows, e, rows, e + 1, false, h, dst, n);
          case 1 -> addOrSub(rows, o, rows, e + 1, true, h, dst, n);
          case 2 -> addOrSub(rows, e + 1, rows, o, false, h, dst, n);
          default -> addOrSub(rows, o, rows, o + 1, false, h, dst, n);
        }
      }
      // Then B^T down the rows: h0 - h2, h1 + h2, h2 - h1, h1 - h3.
      addOrSub(h, hOff, h, hOff + 2 * n, false, v, vOff + b * vStride, n);
      addOrSub(h, hOff + n, h, hOff + 2 * n, true, v, vOff + (PATCH + b) * vStride, n);
      addOrSub(h, hOff + 2 * n, h, hOff + n, false, v, vOff + (2 * PATCH + b) * vStride, n);
      addOrSub(h, hOff + n, h, hOff + 3 * n, false, v, vOff + (3 * PATCH + b) * vStride, n);
    }
  }

  /**
   * Output row {@code row} (0: top, 1: bottom) of a block of {@code n} tiles of one output channel
   * back from the 16 products (position {@code 4a + b} of tile {@code t} at {@code mm[mOff + (4a +
   * b) * mStride + t]}): {@code (A^T m A)[row] + bias}, the tiles' left columns to {@code h[hOff +
   * 4n + t]} and their right columns to {@code h[hOff + 5n + t]}; {@code h} holds {@code 6n}
   * floats of work space from {@code hOff}. The caller interleaves the two into the output.
   */
  public static void outputBlock(float[] mm, int mOff, int mStride, int n, float bias, int row,
      float[] h, int hOff) {
    // A^T down the rows (row 0: m0 + m1 + m2; row 1: m1 - m2 - m3), one column b at a time.
    for (int b = 0; b < PATCH; b++) {
      int m1 = mOff + (PATCH + b) * mStride;
      int m2 = mOff + (2 * PATCH + b) * mStride;
      if (row == 0) {
        three(mm, mOff + b * mStride, mm, m1, mm, m2, true, -0f, h, hOff + b * n, n);
      } else {
        three(mm, m1, mm, m2, mm, mOff + (3 * PATCH + b) * mStride, false, -0f, h,
            hOff + b * n, n);
      }
    }
    // Then A along the columns, the bias last (as the convolution adds it to the sum).
    three(h, hOff, h, hOff + n, h, hOff + 2 * n, true, bias, h, hOff + 4 * n, n);
    three(h, hOff + n, h, hOff + 2 * n, h, hOff + 3 * n, false, bias, h, hOff + 5 * n, n);
  }

  /** {@code o[i] = a[i] + b[i]} or {@code a[i] - b[i]} for i in {@code [0, n)}. */
  private static void addOrSub(float[] a, int ia, float[] b, int ib, boolean add, float[] o,
      int io, int n) {
    int i = Blas.vectorized() ? VectorWinograd.addOrSub(a, ia, b, ib, add, o, io, n) : 0;
    if (add) {
      for (; i < n; i++) {
        o[io + i] = a[ia + i] + b[ib + i];
      }
    } else {
      for (; i < n; i++) {
        o[io + i] = a[ia + i] - b[ib + i];
      }
    }
  }

  /**
   * {@code o[i] = ((a[i] + b[i]) + c[i]) + d} or {@code ((a[i] - b[i]) - c[i]) + d} ({@code d =
   * -0} adds nothing, signed zeros included).
   */
  private static void three(float[] a, int ia, float[] b, int ib, float[] c, int ic, boolean add,
      float d, float[] o, int io, int n) {
    int i = Blas.vectorized() ? VectorWinograd.three(a, ia, b, ib, c, ic, add, d, o, io, n) : 0;
    if (add) {
      for (; i < n; i++) {
        o[io + i] = a[ia + i] + b[ib + i] + c[ic + i] + d;
      }
    } else {
      for (; i < n; i++) {
        o[io + i] = a[ia + i] - b[ib + i] - c[ic + i] + d;
      }
    }
  }
}
