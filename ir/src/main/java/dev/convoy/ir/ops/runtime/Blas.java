package dev.convoy.ir.ops.runtime;

/**
 * Dense matrix products over row-major primitive arrays, for MatMul, Gemm and the im2col
 * convolutions. The float kernel computes {@code C += A * B} on tiles of C two rows by up to
 * {@value #NC} columns: the tile's rows are copied into accumulator arrays (L1), a block of
 * {@value #KC} rows of B is copied into a panel of separate row arrays (L2), and the innermost
 * loop updates both accumulators from two panel rows. HotSpot's C2 (Java 17) vectorizes a
 * loop only when every array index is the loop variable itself (plus a constant), which is why
 * the inner loops index zero-based copies rather than offsets into the operands. Tiles run on
 * the {@link Parallel} pool; every element of C is accumulated in plain k order whatever the
 * tiling or thread count, so results are deterministic and equal to the textbook triple loop.
 */
public final class Blas {
  /** Columns of C per tile. */
  private static final int NC = 512;
  /** Rows of B per panel: {@code KC * NC} floats stay in L2. */
  private static final int KC = 128;
  /**
   * Columns of C per integer tile: narrower than {@link #NC} so that products with few rows
   * (quantized transformer layers) still split into several column tasks.
   */
  private static final int INC = 128;
  /** Target chunks per thread, so uneven tiles still balance. */
  private static final int CHUNKS_PER_THREAD = 4;
  private static final int ROW_TILE = 32;
  private static final int COL_TILE = 512;
  /**
   * Whether the register-blocked {@link VectorGemm} runs: the JVM was started with {@code
   * --add-modules jdk.incubator.vector} (the launcher and the tests do) and {@code
   * -Dconvoy.vector=false} was not given. Both paths give identical results.
   */
  private static final boolean VECTOR = vectorAvailable();

  private static boolean vectorAvailable() {
    if (!Boolean.parseBoolean(System.getProperty("convoy.vector", "true"))
        || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      return false;
    }
    try {
      return VectorGemm.L >= 4;
    } catch (LinkageError e) {
      return false;
    }
  }

  /** Whether products run on the register-blocked Vector API kernel (for benchmarks' notes). */
  public static boolean vectorized() {
    return VECTOR;
  }

  private Blas() {}

  /**
   * {@code C[m,n] += sum_k A[m,k] * B[k,n]} with A at {@code aOff} (row stride {@code K}), B at
   * {@code bOff} (row stride {@code N}) and C at {@code cOff} (row stride {@code N}).
   */
  public static void sgemm(int m, int n, int k, float[] a, int aOff, float[] b, int bOff,
      float[] c, int cOff, Parallel par) {
    sgemm(m, n, k, a, aOff, k, b, bOff, n, c, cOff, n, par);
  }

  /**
   * {@code C[m,n] += sum_k A[m,k] * B[k,n]} with explicit row strides {@code lda}, {@code ldb}
   * and {@code ldc}, so a product can cover a block of columns of larger matrices.
   */
  public static void sgemm(int m, int n, int k, float[] a, int aOff, int lda, float[] b,
      int bOff, int ldb, float[] c, int cOff, int ldc, Parallel par) {
    sgemm(m, n, k, a, aOff, lda, 1, b, bOff, ldb, c, cOff, ldc, par);
  }

  /**
   * As above with A's elements at {@code a[aOff + i * lda + kk * ska]}, so A may be the
   * transpose of a stored matrix ({@code lda = 1}).
   */
  public static void sgemm(int m, int n, int k, float[] a, int aOff, int lda, int ska, float[] b,
      int bOff, int ldb, float[] c, int cOff, int ldc, Parallel par) {
    if (m <= 0 || n <= 0 || k <= 0) {
      return;
    }
    if (VECTOR && n >= VectorGemm.L) {
      VectorGemm.sgemm(m, n, k, a, aOff, lda, ska, b, bOff, ldb, c, cOff, ldc, par);
      return;
    }
    scalarSgemm(m, n, k, a, aOff, lda, ska, b, bOff, ldb, c, cOff, ldc, par);
  }

  /** Output columns per task of {@link #fewRows}. */
  private static final int FEW_ROWS_COLUMNS = 256;

  /**
   * {@code C[m,n] = A[m,k] * B[k,n]} (C overwritten) for a few rows of A, as a classifier head's
   * one row against its weight: B is read where it lies, a block of columns at a time for every
   * row (no packed copy, which for one row cost as much as the product), each output summed as
   * {@link #sgemm} sums it, one fused multiply-add per term in k order from zero, so the two
   * agree bit for bit. Row strides: A {@code k}, B and C {@code n}.
   */
  public static void fewRows(int m, int n, int k, float[] a, int aOff, float[] b, int bOff,
      float[] c, int cOff, Parallel par) {
    int tasks = (n + FEW_ROWS_COLUMNS - 1) / FEW_ROWS_COLUMNS;
    par.forRange(tasks, (long) m * k * FEW_ROWS_COLUMNS, (from, to) -> {
      for (int t = from; t < to; t++) {
        int j0 = t * FEW_ROWS_COLUMNS;
        int j1 = Math.min(n, j0 + FEW_ROWS_COLUMNS);
        int j = VECTOR ? VectorGemm.fewRows(m, n, k, a, aOff, b, bOff, c, cOff, j0, j1) : j0;
        scalarFewRows(m, n, k, a, aOff, b, bOff, c, cOff, j, j1);
      }
    });
  }

  /** Columns {@code [j0, j1)} of {@link #fewRows}, the reference the Vector API path equals. */
  static void scalarFewRows(int m, int n, int k, float[] a, int aOff, float[] b, int bOff,
      float[] c, int cOff, int j0, int j1) {
    for (int i = 0; i < m; i++) {
      int ar = aOff + i * k;
      for (int j = j0; j < j1; j++) {
        float s = 0f;
        for (int kk = 0, bo = bOff + j; kk < k; kk++, bo += n) {
          s = Math.fma(a[ar + kk], b[bo], s);
        }
        c[cOff + i * n + j] = s;
      }
    }
  }

  /** The auto-vectorized path of {@link #sgemm}, also the reference the Vector API one equals. */
  static void scalarSgemm(int m, int n, int k, float[] a, int aOff, int lda, int ska, float[] b,
      int bOff, int ldb, float[] c, int cOff, int ldc, Parallel par) {
    int panels = (n + NC - 1) / NC;
    // Split rows only as far as needed to give every thread several chunks.
    int want = par.threads() <= 1 ? 1 : par.threads() * CHUNKS_PER_THREAD;
    int rowSplits = Math.max(1, Math.min((m + 3) / 4, (want + panels - 1) / panels));
    int rowsPerTask = ((m + rowSplits - 1) / rowSplits + 3) & ~3;
    int rowTasks = (m + rowsPerTask - 1) / rowsPerTask;
    long workPerTask = (long) Math.min(m, rowsPerTask) * Math.min(n, NC) * k;
    par.forRange(panels * rowTasks, workPerTask, (from, to) -> {
      Scratch scratch = Scratch.get();
      float[][] panel = scratch.panel(KC, NC);
      float[][] acc = scratch.acc(2, NC);
      for (int t = from; t < to; t++) {
        int j0 = (t / rowTasks) * NC;
        int i0 = (t % rowTasks) * rowsPerTask;
        int i1 = Math.min(m, i0 + rowsPerTask);
        int wt = Math.min(n, j0 + NC) - j0;
        for (int k0 = 0; k0 < k; k0 += KC) {
          int kl = Math.min(KC, k - k0);
          for (int kk = 0; kk < kl; kk++) {
            System.arraycopy(b, bOff + (k0 + kk) * ldb + j0, panel[kk], 0, wt);
          }
          tile(a, aOff + k0 * ska, lda, ska, kl, panel, c, cOff + j0, ldc, i0, i1, wt, acc);
        }
      }
    });
  }

  /** Rows {@code [i0, i1)} of a column block of C += the same rows of A times one panel. */
  private static void tile(float[] a, int aOff, int lda, int ska, int kl, float[][] panel,
      float[] c,
      int cOff, int ldc, int i0, int i1, int w, float[][] acc) {
    int i = i0;
    for (; i + 1 < i1; i += 2) {
      int c0 = cOff + i * ldc;
      System.arraycopy(c, c0, acc[0], 0, w);
      System.arraycopy(c, c0 + ldc, acc[1], 0, w);
      rows2(a, aOff + i * lda, lda, ska, kl, panel, acc[0], acc[1], w);
      System.arraycopy(acc[0], 0, c, c0, w);
      System.arraycopy(acc[1], 0, c, c0 + ldc, w);
    }
    if (i < i1) {
      int c0 = cOff + i * ldc;
      System.arraycopy(c, c0, acc[0], 0, w);
      row1(a, aOff + i * lda, ska, kl, panel, acc[0], w);
      System.arraycopy(acc[0], 0, c, c0, w);
    }
  }

  /**
   * Two accumulator rows += two rows of A (at {@code a0}, stride {@code lda}) times a panel,
   * two k steps per pass: each pass stores every accumulator once for four products, and the
   * loop body stays small enough for C2 to unroll and vectorize it (a body of four rows or four
   * k steps often is not). Each step is one fused multiply-add, {@code fma(y, b', fma(x, b, c))},
   * in k order.
   */
  private static void rows2(float[] a, int a0, int lda, int ska, int kl, float[][] panel,
      float[] c0, float[] c1, int w) {
    int kk = 0;
    for (; kk + 1 < kl; kk += 2) {
      int p = a0 + kk * ska;
      float v0 = a[p];
      float u0 = a[p + ska];
      float v1 = a[p + lda];
      float u1 = a[p + lda + ska];
      float[] b0 = panel[kk];
      float[] b1 = panel[kk + 1];
      for (int j = 0; j < w; j++) {
        float x = b0[j];
        float y = b1[j];
        c0[j] = Math.fma(u0, y, Math.fma(v0, x, c0[j]));
        c1[j] = Math.fma(u1, y, Math.fma(v1, x, c1[j]));
      }
    }
    if (kk < kl) {
      float v0 = a[a0 + kk * ska];
      float v1 = a[a0 + lda + kk * ska];
      float[] b0 = panel[kk];
      for (int j = 0; j < w; j++) {
        float x = b0[j];
        c0[j] = Math.fma(v0, x, c0[j]);
        c1[j] = Math.fma(v1, x, c1[j]);
      }
    }
  }

  /** One accumulator row += one row of A times a panel, two k steps per pass. */
  private static void row1(float[] a, int a0, int ska, int kl, float[][] panel, float[] c0,
      int w) {
    int kk = 0;
    for (; kk + 1 < kl; kk += 2) {
      float v = a[a0 + kk * ska];
      float u = a[a0 + (kk + 1) * ska];
      float[] b0 = panel[kk];
      float[] b1 = panel[kk + 1];
      for (int j = 0; j < w; j++) {
        c0[j] = Math.fma(u, b1[j], Math.fma(v, b0[j], c0[j]));
      }
    }
    if (kk < kl) {
      float v = a[a0 + kk * ska];
      float[] b0 = panel[kk];
      for (int j = 0; j < w; j++) {
        c0[j] = Math.fma(v, b0[j], c0[j]);
      }
    }
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

  /** Rows of B for {@link #igemm}, so B can be unpacked (say from bytes) as panels fill. */
  @FunctionalInterface
  public interface IntRows {
    /** Writes {@code w} elements of row {@code kk} of B, from column {@code j0}, to dst[0, w). */
    void copy(int kk, int j0, int[] dst, int w);
  }

  /**
   * As {@link #sgemm} over 32-bit integers (wrapping, so exact modulo 2^32 in any order): the
   * same panel and two-row accumulator tiling, for MatMulInteger and the quantized products.
   */
  public static void igemm(int m, int n, int k, int[] a, int aOff, int[] b, int bOff, int[] c,
      int cOff, Parallel par) {
    igemm(m, n, k, a, aOff, (kk, j0, dst, w) -> System.arraycopy(b, bOff + kk * n + j0, dst, 0,
        w), c, cOff, par);
  }

  /** As above with B's rows supplied by {@code b}. */
  public static void igemm(int m, int n, int k, int[] a, int aOff, IntRows b, int[] c,
      int cOff, Parallel par) {
    if (m <= 0 || n <= 0 || k <= 0) {
      return;
    }
    int panels = (n + INC - 1) / INC;
    int want = par.threads() <= 1 ? 1 : par.threads() * CHUNKS_PER_THREAD;
    // Rows split only down to 16 per task: every task unpacks its own B panels.
    int rowSplits = Math.max(1, Math.min((m + 15) / 16, (want + panels - 1) / panels));
    int rowsPerTask = ((m + rowSplits - 1) / rowSplits + 3) & ~3;
    int rowTasks = (m + rowsPerTask - 1) / rowsPerTask;
    long workPerTask = (long) Math.min(m, rowsPerTask) * Math.min(n, INC) * k;
    par.forRange(panels * rowTasks, workPerTask, (from, to) -> {
      Scratch scratch = Scratch.get();
      int[][] panel = scratch.intPanel(KC, INC);
      int[][] acc = scratch.intAcc(2, INC);
      for (int t = from; t < to; t++) {
        int j0 = (t / rowTasks) * INC;
        int i0 = (t % rowTasks) * rowsPerTask;
        int i1 = Math.min(m, i0 + rowsPerTask);
        int w = Math.min(n, j0 + INC) - j0;
        for (int k0 = 0; k0 < k; k0 += KC) {
          int kl = Math.min(KC, k - k0);
          for (int kk = 0; kk < kl; kk++) {
            b.copy(k0 + kk, j0, panel[kk], w);
          }
          int i = i0;
          for (; i + 1 < i1; i += 2) {
            int c0 = cOff + i * n + j0;
            System.arraycopy(c, c0, acc[0], 0, w);
            System.arraycopy(c, c0 + n, acc[1], 0, w);
            irows2(a, aOff + i * k + k0, k, kl, panel, acc[0], acc[1], w);
            System.arraycopy(acc[0], 0, c, c0, w);
            System.arraycopy(acc[1], 0, c, c0 + n, w);
          }
          if (i < i1) {
            int c0 = cOff + i * n + j0;
            System.arraycopy(c, c0, acc[0], 0, w);
            irow1(a, aOff + i * k + k0, kl, panel, acc[0], w);
            System.arraycopy(acc[0], 0, c, c0, w);
          }
        }
      }
    });
  }

  /** Integer {@link #rows2}: two accumulator rows += two rows of A times a panel. */
  private static void irows2(int[] a, int a0, int lda, int kl, int[][] panel, int[] c0,
      int[] c1, int w) {
    int kk = 0;
    for (; kk + 1 < kl; kk += 2) {
      int v0 = a[a0 + kk];
      int u0 = a[a0 + kk + 1];
      int v1 = a[a0 + lda + kk];
      int u1 = a[a0 + lda + kk + 1];
      int[] b0 = panel[kk];
      int[] b1 = panel[kk + 1];
      for (int j = 0; j < w; j++) {
        int x = b0[j];
        int y = b1[j];
        c0[j] = c0[j] + v0 * x + u0 * y;
        c1[j] = c1[j] + v1 * x + u1 * y;
      }
    }
    if (kk < kl) {
      int v0 = a[a0 + kk];
      int v1 = a[a0 + lda + kk];
      int[] b0 = panel[kk];
      for (int j = 0; j < w; j++) {
        int x = b0[j];
        c0[j] += v0 * x;
        c1[j] += v1 * x;
      }
    }
  }

  /** Integer {@link #row1}: one accumulator row += one row of A times a panel. */
  private static void irow1(int[] a, int a0, int kl, int[][] panel, int[] c0, int w) {
    int kk = 0;
    for (; kk + 1 < kl; kk += 2) {
      int v = a[a0 + kk];
      int u = a[a0 + kk + 1];
      int[] b0 = panel[kk];
      int[] b1 = panel[kk + 1];
      for (int j = 0; j < w; j++) {
        c0[j] = c0[j] + v * b0[j] + u * b1[j];
      }
    }
    if (kk < kl) {
      int v = a[a0 + kk];
      int[] b0 = panel[kk];
      for (int j = 0; j < w; j++) {
        c0[j] += v * b0[j];
      }
    }
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
