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
 * differences of its entries. The data transforms ({@link #inputRows}, {@link #outputRow}) work on
 * a row of tiles at a time with every loop index the loop variable plus a constant, so the JIT
 * vectorizes them.
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
   * One row of tiles of one channel, transformed: {@code rows} holds the row of tiles' four input
   * rows split into even and odd columns (row r's even columns at {@code rows[(2r) * stride]},
   * odd at {@code rows[(2r + 1) * stride]}, each {@code tw + 1} long, zero where the padding is),
   * and position {@code 4a + b} of tile {@code t} goes to {@code v[vOff + (4a + b) * vStride + t]}.
   * {@code h} holds at least {@code 4 * tw} floats of work space from {@code hOff}, {@code rows}
   * starts at {@code rowsOff}.
   */
  public static void inputRows(float[] rows, int rowsOff, int stride, int tw, float[] h,
      int hOff, float[] v, int vOff, int vStride) {
    for (int b = 0; b < PATCH; b++) {
      // (d B) column b of each of the four rows, then B^T down the rows.
      for (int r = 0; r < PATCH; r++) {
        int e = rowsOff + 2 * r * stride;
        int o = e + stride;
        int dst = hOff + r * tw;
        switch (b) {
          case 0 -> {
            for (int t = 0; t < tw; t++) {
              h[dst + t] = rows[e + t] - rows[e + t + 1];
            }
          }
          case 1 -> {
            for (int t = 0; t < tw; t++) {
              h[dst + t] = rows[o + t] + rows[e + t + 1];
            }
          }
          case 2 -> {
            for (int t = 0; t < tw; t++) {
              h[dst + t] = rows[e + t + 1] - rows[o + t];
            }
          }
          default -> {
            for (int t = 0; t < tw; t++) {
              h[dst + t] = rows[o + t] - rows[o + t + 1];
            }
          }
        }
      }
      int v0 = vOff + b * vStride;
      int v1 = vOff + (PATCH + b) * vStride;
      int v2 = vOff + (2 * PATCH + b) * vStride;
      int v3 = vOff + (3 * PATCH + b) * vStride;
      for (int t = 0; t < tw; t++) {
        float h0 = h[hOff + t];
        float h1 = h[hOff + tw + t];
        float h2 = h[hOff + 2 * tw + t];
        float h3 = h[hOff + 3 * tw + t];
        v[v0 + t] = h0 - h2;
        v[v1 + t] = h1 + h2;
        v[v2 + t] = h2 - h1;
        v[v3 + t] = h1 - h3;
      }
    }
  }

  /**
   * One row of tiles of one output channel back from the 16 products: position {@code 4a + b} of
   * tile {@code t} at {@code mm[mOff + (4a + b) * mStride + t]}. Writes {@code A^T m A + bias}:
   * the tiles' top output row to {@code y[top, top + wo)} and their bottom row to {@code
   * y[bottom, bottom + wo)} (none when {@code bottom < 0}, the last row of an odd height); tile t
   * covers columns 2t and 2t + 1, the second dropped past an odd width {@code wo}. {@code h}
   * holds at least {@code 4 * tw} floats of work space from {@code hOff}.
   */
  public static void outputRow(float[] mm, int mOff, int mStride, int tw, float bias, float[] h,
      int hOff, float[] y, int top, int bottom, int wo) {
    for (int row = 0; row < TILE; row++) {
      int dst = row == 0 ? top : bottom;
      if (dst < 0) {
        return;
      }
      // A^T down the rows (row 0: m0 + m1 + m2; row 1: m1 - m2 - m3), one column b at a time.
      for (int b = 0; b < PATCH; b++) {
        int m0 = mOff + b * mStride;
        int m1 = mOff + (PATCH + b) * mStride;
        int m2 = mOff + (2 * PATCH + b) * mStride;
        int m3 = mOff + (3 * PATCH + b) * mStride;
        int d = hOff + b * tw;
        if (row == 0) {
          for (int t = 0; t < tw; t++) {
            h[d + t] = mm[m0 + t] + mm[m1 + t] + mm[m2 + t];
          }
        } else {
          for (int t = 0; t < tw; t++) {
            h[d + t] = mm[m1 + t] - mm[m2 + t] - mm[m3 + t];
          }
        }
      }
      // Then A along the columns, the bias last (as the convolution adds it to the sum).
      int pairs = wo / TILE;
      for (int t = 0; t < pairs; t++) {
        float c1 = h[hOff + tw + t];
        float c2 = h[hOff + 2 * tw + t];
        y[dst + 2 * t] = h[hOff + t] + c1 + c2 + bias;
        y[dst + 2 * t + 1] = c1 - c2 - h[hOff + 3 * tw + t] + bias;
      }
      if (pairs < tw) {
        int p = hOff + pairs;
        y[dst + 2 * pairs] = h[p] + h[p + tw] + h[p + 2 * tw] + bias;
      }
    }
  }
}
