package dev.convoy.ir.ops.runtime;

import java.util.Arrays;

/**
 * The exact integer product of quantized kernels (MatMulInteger, the QLinear and contrib
 * products, the integer convolutions): {@code C = A * B} in int32 where A and B hold 8-bit
 * values already centred on their zero points, so every operand lies in [-255, 255].
 *
 * <p>It runs on the float multiply-add path, which is exact here: a product of two such
 * operands is an integer of magnitude at most 255 * 255, and a sum of up to {@value #KB} of them
 * stays below 2^24, where every integer is a float32; so each block of {@value #KB} k steps is
 * accumulated in float without rounding (in any order, fused or not) and then added into int32,
 * wrapping as int32 accumulation does. B is packed once into column panels of {@value #PANEL}
 * floats ({@link #packBytes}, {@link #packInts}; kernels cache the packing of constant weights),
 * A is packed per call in groups of {@value #MR} rows. With the Vector API present ({@link
 * VectorIntGemm}) a tile of C {@value #MR} rows by {@value #PANEL} columns stays in registers; the scalar loops compute the same exact integers,
 * so both paths agree bit for bit. Where the Vector API kernel has 512-bit vectors and B's centred
 * values fit in a byte (dynamically quantized weights), B is packed as bytes instead and widened
 * in registers ({@link PackedB#narrow}).
 */
public final class IntGemm {
  /** Columns per packed panel of B. */
  public static final int PANEL = 32;
  /** k steps per exact float block: {@code 256 * 255 * 255 < 2^24}. */
  static final int KB = 256;
  /**
   * k steps per exact float block of a byte-packed B, whose centred values lie in [-128, 127]:
   * {@code 512 * 255 * 128 < 2^24}. A product with k up to this many is one block, whose float
   * sums are the exact int32 results themselves.
   */
  static final int KB_NARROW = 512;
  /** Rows of C per tile. */
  static final int MR = 8;
  /** Largest magnitude of a centred operand for which the float path is exact. */
  public static final int MAX_OPERAND = 255;
  private static final int CHUNKS_PER_THREAD = 4;
  private static final boolean VECTOR = vectorAvailable();
  /** Columns per panel of a byte-packed B ({@link PackedB#narrow}). */
  static final int NARROW = 32;
  /** Whether B may be packed as bytes: the Vector API kernel widens 16 of them to one vector. */
  private static final boolean NARROW_KERNEL = VECTOR && VectorIntGemm.narrowFits();

  private IntGemm() {}

  /** Whether {@link #packBytes} packs a B centred within [-128, 127] as bytes. */
  static boolean narrowKernel() {
    return NARROW_KERNEL;
  }

  private static boolean vectorAvailable() {
    return vectorApi(() -> VectorIntGemm.fits(PANEL));
  }

  /**
   * Whether a Vector API kernel may run: the JVM has {@code jdk.incubator.vector}, {@code
   * -Dconvoy.vector=false} was not given, and {@code usable} (which touches the kernel class)
   * says its vectors suit this machine.
   */
  static boolean vectorApi(java.util.function.BooleanSupplier usable) {
    if (!Boolean.parseBoolean(System.getProperty("convoy.vector", "true"))
        || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      return false;
    }
    try {
      return usable.getAsBoolean();
    } catch (LinkageError e) {
      return false;
    }
  }

  /**
   * B ({@code k x n}) packed in panels of {@value #PANEL} columns: element {@code (kk, j)} at
   * {@code ((j / PANEL) * k + kk) * PANEL + j % PANEL}, columns past {@code n} zero. Or, when
   * {@link #narrow} is not null (and {@link #data} is), as bytes in panels of {@value #NARROW}
   * columns laid out the same way: a quarter of the memory traffic, which is what bounds the
   * product of a few rows of A by a large weight (a transformer's projections at short sequence
   * lengths stream every weight from memory once per call).
   */
  public record PackedB(int k, int n, float[] data, byte[] narrow) {
    public PackedB(int k, int n, float[] data) {
      this(k, n, data, null);
    }

    /** An all-zero B, for callers that write its elements in place ({@link #at}). */
    public static PackedB zeros(int k, int n) {
      return new PackedB(k, n, new float[(n + PANEL - 1) / PANEL * k * PANEL]);
    }

    /** The index in {@link #data} of element {@code (kk, j)}. */
    public int at(int kk, int j) {
      return ((j / PANEL) * k + kk) * PANEL + j % PANEL;
    }

    int panels() {
      return (n + PANEL - 1) / PANEL;
    }
  }

  /**
   * The 8-bit matrix B ({@code k x n}, unsigned when {@code unsigned}) with element {@code (kk,
   * j)} at {@code b[off + kk * rowStride + j * colStride]} (so a transposed B packs without a
   * copy), minus its zero points ({@code zeroPoints}: one value, or one per column), packed.
   */
  public static PackedB packBytes(byte[] b, int off, int rowStride, int colStride, int k, int n,
      boolean unsigned, int[] zeroPoints) {
    if (NARROW_KERNEL) {
      PackedB narrow = packNarrow(b, off, rowStride, colStride, k, n, unsigned, zeroPoints);
      if (narrow != null) {
        return narrow;
      }
    }
    int panels = (n + PANEL - 1) / PANEL;
    float[] p = new float[panels * k * PANEL];
    int mask = unsigned ? 0xFF : -1;
    float[] z = new float[n];
    for (int j = 0; j < n; j++) {
      z[j] = zeroPoints[zeroPoints.length == 1 ? 0 : j];
    }
    for (int kk = 0; kk < k; kk++) {
      int row = off + kk * rowStride;
      for (int j = 0; j < n; j++) {
        p[((j / PANEL) * k + kk) * PANEL + j % PANEL] = (b[row + j * colStride] & mask) - z[j];
      }
    }
    return new PackedB(k, n, p);
  }

  /**
   * As {@link #packBytes} into byte panels ({@link PackedB#narrow}), or null when a centred
   * value falls outside [-128, 127] (an unsigned B, or zero points away from the middle).
   */
  private static PackedB packNarrow(byte[] b, int off, int rowStride, int colStride, int k,
      int n, boolean unsigned, int[] zeroPoints) {
    byte[] p = new byte[(n + NARROW - 1) / NARROW * k * NARROW];
    int mask = unsigned ? 0xFF : -1;
    for (int kk = 0; kk < k; kk++) {
      int row = off + kk * rowStride;
      for (int j = 0; j < n; j++) {
        int v = (b[row + j * colStride] & mask) - zeroPoints[zeroPoints.length == 1 ? 0 : j];
        if (v != (byte) v) {
          return null;
        }
        p[((j / NARROW) * k + kk) * NARROW + j % NARROW] = (byte) v;
      }
    }
    return new PackedB(k, n, null, p);
  }

  /** The row-major int matrix at {@code b[off]} ({@code k x n}, already centred), packed. */
  public static PackedB packInts(int[] b, int off, int k, int n) {
    int panels = (n + PANEL - 1) / PANEL;
    float[] p = new float[panels * k * PANEL];
    for (int kk = 0; kk < k; kk++) {
      int row = off + kk * n;
      for (int pi = 0; pi < panels; pi++) {
        int j0 = pi * PANEL;
        int w = Math.min(PANEL, n - j0);
        int dst = (pi * k + kk) * PANEL;
        for (int jj = 0; jj < w; jj++) {
          p[dst + jj] = b[row + j0 + jj];
        }
      }
    }
    return new PackedB(k, n, p);
  }

  /**
   * {@code C[m, n] = A[m, k] * B} in int32: A row-major at {@code a[aOff]} (row stride k, centred
   * values as floats), C row-major at {@code c[cOff]} (row stride n), overwritten.
   */
  public static void gemm(int m, float[] a, int aOff, PackedB b, int[] c, int cOff,
      Parallel par) {
    int n = b.n();
    product(m, a, aOff, b, par, (ct, from, i, j0, w) ->
        System.arraycopy(ct, from, c, cOff + i * n + j0, w), null);
  }

  /**
   * {@code out[outOff + i * n + j] = (float) C[i, j] * multiplier[j] (+ bias[j])}, each step
   * rounded to float32 (the product, then the sum: MatMulInteger, Cast, Mul, Add unfused), with
   * C the exact int32 product of {@link #gemm}; written tile by tile as each is finished, without
   * an int32 C in memory. {@code bias} may be null.
   */
  public static void gemmScaled(int m, float[] a, int aOff, PackedB b, float[] multiplier,
      float[] bias, float[] out, int outOff, Parallel par) {
    int n = b.n();
    product(m, a, aOff, b, par, (ct, from, i, j0, w) -> {
      int o = outOff + i * n + j0;
      if (bias == null) {
        for (int j = 0; j < w; j++) {
          out[o + j] = (float) ct[from + j] * multiplier[j0 + j];
        }
      } else {
        for (int j = 0; j < w; j++) {
          out[o + j] = (float) ct[from + j] * multiplier[j0 + j] + bias[j0 + j];
        }
      }
    }, new Scaled(multiplier, bias, out, outOff, n));
  }

  /**
   * {@link #gemmScaled}'s epilogue straight from a one-block float tile, whose sums are the exact
   * int32 values (so {@code (float) C[i, j]} is the tile's float itself): the same two roundings.
   * Plain loops that C2 vectorizes: a Vector API method here would run boxed, allocating on every
   * vector, for the runs before C2 compiles it, where this loop runs as plain code.
   */
  private record Scaled(float[] multiplier, float[] bias, float[] out, int outOff, int n) {
    /** Rows {@code i .. i + rows - 1}, columns {@code [j0, j0 + w)} from the tile {@code ft}. */
    void tile(float[] ft, int rows, int i, int j0, int w) {
      for (int r = 0, o = outOff + i * n + j0; r < rows; r++, o += n) {
        int f = r * NARROW;
        if (bias == null) {
          for (int j = 0; j < w; j++) {
            out[o + j] = ft[f + j] * multiplier[j0 + j];
          }
        } else {
          for (int j = 0; j < w; j++) {
            out[o + j] = ft[f + j] * multiplier[j0 + j] + bias[j0 + j];
          }
        }
      }
    }
  }

  /** Where the exact sums of C go: row {@code i}, columns {@code [j0, j0 + w)} from {@code ct}. */
  @FunctionalInterface
  private interface RowSink {
    void row(int[] ct, int from, int i, int j0, int w);
  }

  /**
   * C = A * B delivered row by row to {@code sink}, or, where B is byte-packed and k is one
   * block, tile by tile to {@code scaled} when it is not null.
   */
  private static void product(int m, float[] a, int aOff, PackedB b, Parallel par,
      RowSink sink, Scaled scaled) {
    int k = b.k();
    int n = b.n();
    if (m <= 0 || n <= 0) {
      return;
    }
    if (k == 0) {
      int[] zeros = new int[n];
      for (int i = 0; i < m; i++) {
        sink.row(zeros, 0, i, 0, n);
      }
      return;
    }
    if (b.narrow() != null) {
      gemmNarrow(m, a, aOff, b, par, sink, k <= KB_NARROW ? scaled : null);
      return;
    }
    int panels = b.panels();
    int want = par.threads() <= 1 ? 1 : par.threads() * CHUNKS_PER_THREAD;
    int rowSplits = Math.max(1, Math.min((m + MR - 1) / MR, (want + panels - 1) / panels));
    int rowsPerTask = ((m + rowSplits - 1) / rowSplits + MR - 1) / MR * MR;
    int rowTasks = (m + rowsPerTask - 1) / rowsPerTask;
    long workPerTask = (long) Math.min(m, rowsPerTask) * PANEL * k;
    // A packed once for every panel: tile t's k steps at [t * k * MR, (t + 1) * k * MR).
    int tiles = (m + MR - 1) / MR;
    float[] ap = Buffers.LOCAL.get().packedA(tiles * k * MR);
    for (int t = 0; t < tiles; t++) {
      packA(a, aOff + t * MR * k, k, Math.min(MR, m - t * MR), MR, ap, t * k * MR);
    }
    par.forRange(panels * rowTasks, workPerTask, (from, to) -> {
      Buffers buf = Buffers.LOCAL.get();
      for (int t = from; t < to; t++) {
        int pi = t / rowTasks;
        int i0 = (t % rowTasks) * rowsPerTask;
        int i1 = Math.min(m, i0 + rowsPerTask);
        int j0 = pi * PANEL;
        int w = Math.min(PANEL, n - j0);
        int bp = pi * k * PANEL;
        for (int i = i0; i < i1; i += MR) {
          int rows = Math.min(MR, i1 - i);
          int a0 = i * k;
          for (int k0 = 0; k0 < k; k0 += KB) {
            int kl = Math.min(KB, k - k0);
            if (VECTOR) {
              VectorIntGemm.block(ap, a0 + k0 * MR, b.data(), bp + k0 * PANEL, kl, rows, buf.ft);
            } else {
              scalarBlock(ap, a0 + k0 * MR, b.data(), bp + k0 * PANEL, kl, rows, buf.ft);
            }
            buf.addBlock(k0 == 0, MR * PANEL);
          }
          for (int r = 0; r < rows; r++) {
            sink.row(buf.ct, r * PANEL, i + r, j0, w);
          }
        }
      }
    });
  }

  /**
   * {@link #gemm} for a byte-packed B: tiles of {@value #NARROW} rows by one {@value #NARROW}-column
   * panel, each B vector read once per tile and widened to floats in registers ({@link
   * VectorIntGemm#narrowBlock}); exact as the float path is (products below 2^15, {@value
   * #KB_NARROW} of them below 2^24). With {@code scaled} (k is one block) each tile goes from its
   * float sums to the output without the int32 tile.
   */
  private static void gemmNarrow(int m, float[] a, int aOff, PackedB b, Parallel par,
      RowSink sink, Scaled scaled) {
    int k = b.k();
    int n = b.n();
    int panels = (n + NARROW - 1) / NARROW;
    int tiles = (m + MR - 1) / MR;
    float[] ap = Buffers.LOCAL.get().packedA(tiles * k * MR);
    for (int t = 0; t < tiles; t++) {
      packA(a, aOff + t * MR * k, k, Math.min(MR, m - t * MR), MR, ap, t * k * MR);
    }
    par.forRange(panels * tiles, (long) MR * NARROW * k, (from, to) -> {
      Buffers buf = Buffers.LOCAL.get();
      for (int task = from; task < to; task++) {
        int pi = task / tiles;
        int t = task % tiles;
        int i = t * MR;
        int rows = Math.min(MR, m - i);
        int j0 = pi * NARROW;
        int w = Math.min(NARROW, n - j0);
        int bp = pi * k * NARROW;
        int a0 = t * k * MR;
        if (scaled != null) {
          VectorIntGemm.narrowBlock(ap, a0, b.narrow(), bp, k, rows, buf.ft);
          scaled.tile(buf.ft, rows, i, j0, w);
          continue;
        }
        for (int k0 = 0; k0 < k; k0 += KB_NARROW) {
          int kl = Math.min(KB_NARROW, k - k0);
          VectorIntGemm.narrowBlock(ap, a0 + k0 * MR, b.narrow(), bp + k0 * NARROW, kl, rows,
              buf.ft);
          buf.addBlock(k0 == 0, MR * NARROW);
        }
        for (int r = 0; r < rows; r++) {
          sink.row(buf.ct, r * NARROW, i + r, j0, w);
        }
      }
    });
  }

  /**
   * {@code rows} rows of A (stride k) into {@code ap} from {@code p0} in k-major order,
   * {@code mr} per k step, missing rows zero.
   */
  private static void packA(float[] a, int a0, int k, int rows, int mr, float[] ap, int p0) {
    for (int r = 0; r < mr; r++) {
      if (r < rows) {
        int ar = a0 + r * k;
        for (int kk = 0; kk < k; kk++) {
          ap[p0 + kk * mr + r] = a[ar + kk];
        }
      } else {
        for (int kk = 0; kk < k; kk++) {
          ap[p0 + kk * mr + r] = 0f;
        }
      }
    }
  }

  /**
   * The tile {@code ft} ({@value #MR} rows of {@value #PANEL}) = {@code kl} k steps of the packed A
   * (from {@code ao}) times the panel (from {@code bo}); exact, so equal to {@link VectorIntGemm}.
   */
  static void scalarBlock(float[] ap, int ao, float[] bp, int bo, int kl, int rows,
      float[] ft) {
    Arrays.fill(ft, 0f);
    for (int kk = 0; kk < kl; kk++) {
      int b0 = bo + kk * PANEL;
      for (int r = 0; r < rows; r++) {
        float av = ap[ao + kk * MR + r];
        int f0 = r * PANEL;
        for (int j = 0; j < PANEL; j++) {
          ft[f0 + j] += av * bp[b0 + j];
        }
      }
    }
  }

  /** Per-thread tiles and the packed rows of A. */
  private static final class Buffers {
    static final ThreadLocal<Buffers> LOCAL = ThreadLocal.withInitial(Buffers::new);
    final float[] ft = new float[MR * Math.max(PANEL, NARROW)];
    final int[] ct = new int[MR * Math.max(PANEL, NARROW)];
    private float[] packedA = new float[0];

    /** The exact block sums {@code ft[0, n)} into the int32 tile: the first block, or added. */
    void addBlock(boolean first, int n) {
      if (first) {
        for (int x = 0; x < n; x++) {
          ct[x] = (int) ft[x];
        }
      } else {
        for (int x = 0; x < n; x++) {
          ct[x] += (int) ft[x];
        }
      }
    }

    float[] packedA(int n) {
      if (packedA.length < n) {
        packedA = new float[n];
      }
      return packedA;
    }
  }
}
