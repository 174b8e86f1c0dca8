package dev.convoy.ir.ops.runtime;

/**
 * Per-thread work buffers for the float kernels (GEMM panels and accumulators, im2col blocks),
 * reused across calls: allocating them per call made the evaluator's garbage, and so its GC
 * pauses, several times larger than its outputs. A buffer is only used inside one chunk of
 * work and never across a nested {@link Parallel#forRange} that could run other chunks of the
 * same kind on this thread; contents are stale on every call, so users write before reading.
 *
 * <p>{@link #temporary} is the one exception: a whole op's intermediate, taken by the calling
 * thread before its chunks run and read by them (on any thread) until the op returns. The
 * chunks of such an op take no scratch of their own kind, and no kernel that holds it runs a
 * subgraph (a Loop, If or Scan body evaluated inside the op would reach the same buffer).
 */
public final class Scratch {
  /** Larger requests are allocated afresh rather than kept alive by the thread. */
  private static final int MAX_KEPT = 1 << 22;

  private static final ThreadLocal<Scratch> LOCAL = ThreadLocal.withInitial(Scratch::new);

  private float[][] panel = new float[0][];
  private float[][] acc = new float[0][];
  private float[] col = new float[0];
  private float[] transposed = new float[0];
  private int[][] intPanel = new int[0][];
  private int[][] intAcc = new int[0][];
  private float[] packedA = new float[0];
  private float[] packedB = new float[0];
  private float[] cTile = new float[0];
  private int[] identity = new int[0];
  private float[] temporary = new float[0];

  private Scratch() {}

  public static Scratch get() {
    return LOCAL.get();
  }

  /** At least {@code rows} arrays of at least {@code cols} floats. */
  public float[][] panel(int rows, int cols) {
    if (panel.length < rows || (rows > 0 && panel[0].length < cols)) {
      panel = new float[Math.max(rows, panel.length)][Math.max(cols,
          panel.length == 0 ? 0 : panel[0].length)];
    }
    return panel;
  }

  /** At least {@code rows} accumulator arrays of at least {@code cols} floats. */
  public float[][] acc(int rows, int cols) {
    if (acc.length < rows || (rows > 0 && acc[0].length < cols)) {
      acc = new float[Math.max(rows, acc.length)][Math.max(cols,
          acc.length == 0 ? 0 : acc[0].length)];
    }
    return acc;
  }

  /** At least {@code rows} arrays of at least {@code cols} ints (integer GEMM panels). */
  public int[][] intPanel(int rows, int cols) {
    if (intPanel.length < rows || (rows > 0 && intPanel[0].length < cols)) {
      intPanel = new int[Math.max(rows, intPanel.length)][Math.max(cols,
          intPanel.length == 0 ? 0 : intPanel[0].length)];
    }
    return intPanel;
  }

  /** At least {@code rows} accumulator arrays of at least {@code cols} ints. */
  public int[][] intAcc(int rows, int cols) {
    if (intAcc.length < rows || (rows > 0 && intAcc[0].length < cols)) {
      intAcc = new int[Math.max(rows, intAcc.length)][Math.max(cols,
          intAcc.length == 0 ? 0 : intAcc[0].length)];
    }
    return intAcc;
  }

  /** At least {@code n} floats for a transposed product (distinct from {@link #col}). */
  public float[] transposed(int n) {
    float[] t = atLeast(transposed, n);
    transposed = t.length <= MAX_KEPT ? t : transposed;
    return t;
  }

  /** At least {@code n} floats for a packed block of A rows (register-blocked GEMM). */
  float[] packedA(int n) {
    if (packedA.length < n) {
      packedA = new float[n];
    }
    return packedA;
  }

  /** At least {@code n} floats for a packed panel of B (register-blocked GEMM). */
  float[] packedB(int n) {
    if (packedB.length < n) {
      packedB = new float[n];
    }
    return packedB;
  }

  /** At least {@code n} floats for a padded tile of C rows (register-blocked GEMM). */
  float[] cTile(int n) {
    if (cTile.length < n) {
      cTile = new float[n];
    }
    return cTile;
  }

  /**
   * At least {@code n} ints holding their own index: the tap offsets of a product's rows that lie
   * in place ({@code NhwcGemm}'s tiles read every left operand through a tap table).
   */
  int[] identity(int n) {
    if (identity.length < n) {
      identity = new int[n];
      for (int i = 0; i < n; i++) {
        identity[i] = i;
      }
    }
    return identity;
  }

  /**
   * At least {@code n} floats for an op's intermediate that its chunks share (see the class
   * comment); a request above the kept size is allocated afresh.
   */
  public float[] temporary(int n) {
    float[] t = atLeast(temporary, n);
    temporary = t.length <= MAX_KEPT ? t : temporary;
    return t;
  }

  /** At least {@code n} floats. */
  public float[] col(int n) {
    float[] c = atLeast(col, n);
    col = c.length <= MAX_KEPT ? c : col;
    return c;
  }

  /** {@code kept} when it holds {@code n} floats, else a new array of {@code n}. */
  private static float[] atLeast(float[] kept, int n) {
    return kept.length >= n ? kept : new float[n];
  }
}
