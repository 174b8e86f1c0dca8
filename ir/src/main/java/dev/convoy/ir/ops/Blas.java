package dev.convoy.ir.ops;

/**
 * Dense matrix products over row-major primitive arrays, for MatMul, Gemm and the im2col
 * convolutions. The float kernel walks {@code C += A * B} in tiles of rows and columns (so a tile
 * of B stays in cache while the rows of A stream past) with the innermost loop over contiguous
 * columns, which the JIT vectorizes. Tiles run on the {@link Parallel} pool; every element of C
 * is accumulated in the same k order whatever the thread count, so results are deterministic.
 */
public final class Blas {
  private static final int ROW_TILE = 32;
  private static final int COL_TILE = 512;
  private static final int K_TILE = 256;

  private Blas() {}

  /**
   * {@code C[m,n] += sum_k A[m,k] * B[k,n]} with A at {@code aOff} (row stride {@code K}), B at
   * {@code bOff} (row stride {@code N}) and C at {@code cOff} (row stride {@code N}).
   */
  public static void sgemm(int m, int n, int k, float[] a, int aOff, float[] b, int bOff,
      float[] c, int cOff, Parallel par) {
    int rowTiles = (m + ROW_TILE - 1) / ROW_TILE;
    int colTiles = (n + COL_TILE - 1) / COL_TILE;
    long workPerTile = (long) Math.min(m, ROW_TILE) * Math.min(n, COL_TILE) * k;
    par.forRange(rowTiles * colTiles, workPerTile, (from, to) -> {
      for (int t = from; t < to; t++) {
        int i0 = (t / colTiles) * ROW_TILE;
        int j0 = (t % colTiles) * COL_TILE;
        int i1 = Math.min(m, i0 + ROW_TILE);
        int j1 = Math.min(n, j0 + COL_TILE);
        for (int k0 = 0; k0 < k; k0 += K_TILE) {
          int k1 = Math.min(k, k0 + K_TILE);
          int i = i0;
          // Four rows of C at once: each loaded element of B feeds four products.
          for (; i + 3 < i1; i += 4) {
            int c0 = cOff + i * n;
            int c1 = c0 + n;
            int c2 = c1 + n;
            int c3 = c2 + n;
            int a0 = aOff + i * k;
            for (int kk = k0; kk < k1; kk++) {
              float v0 = a[a0 + kk];
              float v1 = a[a0 + k + kk];
              float v2 = a[a0 + 2 * k + kk];
              float v3 = a[a0 + 3 * k + kk];
              int brow = bOff + kk * n;
              for (int j = j0; j < j1; j++) {
                float bv = b[brow + j];
                c[c0 + j] += v0 * bv;
                c[c1 + j] += v1 * bv;
                c[c2 + j] += v2 * bv;
                c[c3 + j] += v3 * bv;
              }
            }
          }
          for (; i < i1; i++) {
            int crow = cOff + i * n;
            int arow = aOff + i * k;
            for (int kk = k0; kk < k1; kk++) {
              float av = a[arow + kk];
              int brow = bOff + kk * n;
              for (int j = j0; j < j1; j++) {
                c[crow + j] += av * b[brow + j];
              }
            }
          }
        }
      }
    });
  }

  /** As {@link #sgemm} in double precision. */
  public static void dgemm(int m, int n, int k, double[] a, int aOff, double[] b, int bOff,
      double[] c, int cOff, Parallel par) {
    int rowTiles = (m + ROW_TILE - 1) / ROW_TILE;
    int colTiles = (n + COL_TILE - 1) / COL_TILE;
    long workPerTile = (long) Math.min(m, ROW_TILE) * Math.min(n, COL_TILE) * k;
    par.forRange(rowTiles * colTiles, workPerTile, (from, to) -> {
      for (int t = from; t < to; t++) {
        int i0 = (t / colTiles) * ROW_TILE;
        int j0 = (t % colTiles) * COL_TILE;
        int i1 = Math.min(m, i0 + ROW_TILE);
        int j1 = Math.min(n, j0 + COL_TILE);
        for (int i = i0; i < i1; i++) {
          int crow = cOff + i * n;
          int arow = aOff + i * k;
          for (int kk = 0; kk < k; kk++) {
            double av = a[arow + kk];
            int brow = bOff + kk * n;
            for (int j = j0; j < j1; j++) {
              c[crow + j] += av * b[brow + j];
            }
          }
        }
      }
    });
  }

  /** As {@link #sgemm} over 64-bit integers (wrapping), serial. */
  public static void lgemm(int m, int n, int k, long[] a, int aOff, long[] b, int bOff,
      long[] c, int cOff) {
    for (int i = 0; i < m; i++) {
      for (int kk = 0; kk < k; kk++) {
        long av = a[aOff + i * k + kk];
        int brow = bOff + kk * n;
        int crow = cOff + i * n;
        for (int j = 0; j < n; j++) {
          c[crow + j] += av * b[brow + j];
        }
      }
    }
  }

  /** The transpose of the row-major {@code rows x cols} matrix at {@code off}. */
  public static float[] transpose(float[] x, int off, int rows, int cols) {
    float[] t = new float[rows * cols];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        t[j * rows + i] = x[off + i * cols + j];
      }
    }
    return t;
  }

  /** The transpose of the row-major {@code rows x cols} matrix at {@code off}. */
  public static double[] transpose(double[] x, int off, int rows, int cols) {
    double[] t = new double[rows * cols];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        t[j * rows + i] = x[off + i * cols + j];
      }
    }
    return t;
  }

  /** The transpose of the row-major {@code rows x cols} matrix at {@code off}. */
  public static long[] transpose(long[] x, int off, int rows, int cols) {
    long[] t = new long[rows * cols];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        t[j * rows + i] = x[off + i * cols + j];
      }
    }
    return t;
  }
}
