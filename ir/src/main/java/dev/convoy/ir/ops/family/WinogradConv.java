package dev.convoy.ir.ops.family;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.InferenceContext;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.Kernels;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.ShapeFns;
import dev.convoy.ir.ops.runtime.Blas;
import dev.convoy.ir.ops.runtime.Parallel;
import dev.convoy.ir.ops.runtime.Scratch;
import dev.convoy.ir.ops.runtime.Winograd;
import java.util.Arrays;
import java.util.List;

/**
 * {@code convoy::WinogradConv(X, U, B?, Z?)}, which {@code replace-conv-winograd} writes for the
 * {@code cvy} target: a float32 3x3 convolution of stride 1, dilation 1 and one group, computed by
 * Winograd's F(2x2, 3x3) ({@link Winograd}) from the filters transformed once offline, {@code U
 * [16, M, C]} ({@code U[4a + b] = G g G^T} at row a, column b). Attributes: {@code pads} (four,
 * {@code [top, left, bottom, right]}, explicit; the output is {@code [N, M, H + top + bottom - 2,
 * W + left + right - 2]}), and FusedConv's epilogue: the bias B, the residual Z of the output's
 * shape (added before the activation), {@code activation}, {@code activation_params}, {@code
 * post_scale}, {@code post_shift}.
 *
 * <p>The kernel takes blocks of whole rows of 2x2 output tiles: it transforms each block's input
 * patches ({@code B^T d B}) into 16 matrices {@code [C x tiles]}, multiplies each by its {@code
 * U[k] [M x C]} on the catalog's GEMM ({@link Blas#sgemm}: register-blocked Vector API or its
 * scalar twin), and transforms the products back ({@code A^T m A}) straight into the output with
 * the bias; the residual and activation then run over the block's output rows while they are in
 * cache. Its temporaries are the thread's {@link Scratch} buffers. Results differ from the direct
 * convolution's by float rounding only (the algorithm reassociates the sums).
 */
public final class WinogradConv implements OpFamily {
  /**
   * Floats of transformed input one block of tile rows may hold (2 MB): measured against 0.5, 1
   * and 4 MB (with {@link #MC} 32, 64 and 128) on the dev models' 3x3 layers, this gave the
   * widest products for the least time.
   */
  private static final int BLOCK_FLOATS = 1 << 19;
  /**
   * Output channels multiplied and transformed back at a time: their 16 products stay in cache
   * with the transformed input (all M at once made layers of 192 channels 1.5x slower).
   */
  private static final int MC = 64;
  public static final long[] T = new long[3];

  @Override
  public void register(OpRegistrar r) {
    r.op(OpCatalog.CONVOY_DOMAIN, "WinogradConv", 1).inputs(2, 4).requiredAttr("pads")
        .attr("activation", "").attr("activation_params", new Attribute.FloatsAttr(new float[0])).optionalAttr("post_scale").optionalAttr("post_shift")
        .shape(WinogradConv::shape).kernel(ctx -> Kernels.one(winograd(ctx)));
  }

  private static List<ValueType> shape(InferenceContext ctx) {
    DType t = ShapeFns.firstDType(ctx);
    Shape x = ctx.shape(0);
    Shape u = ctx.shape(1);
    long[] pads = pads(ctx.attrLongs("pads"));
    if (pads == null) {
      throw ctx.contradiction("pads must be four non-negative numbers");
    }
    if (!x.hasRank()) {
      return ShapeFns.tensor(t, Shape.unknownRank());
    }
    if (x.rank() != 4) {
      throw ctx.contradiction("input must be [N, C, H, W], got " + x);
    }
    Dim m = Dim.UNKNOWN;
    if (u.hasRank()) {
      if (u.rank() != 3) {
        throw ctx.contradiction("transformed filters must be [16, M, C], got " + u);
      }
      m = u.dim(1);
    }
    return ShapeFns.tensor(t, Shape.of(List.of(x.dim(0), m, out(x.dim(2), pads[0] + pads[2]),
        out(x.dim(3), pads[1] + pads[3]))));
  }

  private static Dim out(Dim in, long pad) {
    return in.isStatic() ? Dim.of(Math.max(0, in.size() + pad - 2)) : Dim.UNKNOWN;
  }

  /** {@code pads} when it is four non-negative numbers, else null. */
  private static long[] pads(long[] pads) {
    if (pads == null || pads.length != 4) {
      return null;
    }
    for (long p : pads) {
      if (p < 0) {
        return null;
      }
    }
    return pads;
  }

  private static NdArray winograd(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    NdArray u = ctx.tensor(1);
    NdArray b = ctx.optionalTensor(2);
    NdArray z = ctx.inputCount() > 3 ? ctx.optionalTensor(3) : null;
    if (x.dtype() != DType.FLOAT || u.dtype() != DType.FLOAT) {
      throw ctx.unsupportedType(x.dtype() != DType.FLOAT ? x.dtype() : u.dtype());
    }
    if (x.rank() != 4 || u.rank() != 3 || u.dim(0) != Winograd.POSITIONS
        || u.dim(2) != x.dim(1)) {
      throw ctx.error("input " + x.describe() + " must be [N, C, H, W] and the transformed"
          + " filters " + u.describe() + " [16, M, C]");
    }
    long[] pads = pads(ctx.attrLongs("pads"));
    if (pads == null) {
      throw ctx.error("pads must be four non-negative numbers");
    }
    int n = (int) x.dim(0);
    int c = (int) x.dim(1);
    int m = (int) u.dim(1);
    int ho = (int) Math.max(0, x.dim(2) + pads[0] + pads[2] - 2);
    int wo = (int) Math.max(0, x.dim(3) + pads[1] + pads[3] - 2);
    long[] outDims = {n, m, ho, wo};
    float[] bias = new float[m];
    Arrays.fill(bias, -0f);
    if (b != null) {
      if (b.dtype() != DType.FLOAT || b.size() != m) {
        throw ctx.error("bias " + b.describe() + " must be float32 with " + m + " elements");
      }
      bias = b.toFloats();
    }
    if (z != null && (z.dtype() != DType.FLOAT || !Arrays.equals(z.dims(), outDims))) {
      throw ctx.error("Z " + z.describe() + " must be float32 of the output's shape "
          + Arrays.toString(outDims));
    }
    Conv.Residual res = z == null ? null : new Conv.Residual((float[]) z.array(), z.offset());
    Activation act = Activation.of(ctx);
    NdArray out = ctx.output(0, DType.FLOAT, outDims);
    if (n == 0 || m == 0 || ho == 0 || wo == 0) {
      return out;
    }
    Layer layer = new Layer((float[]) x.array(), x.offset(), (float[]) u.array(), u.offset(),
        (float[]) out.array(), out.offset(), n, c, (int) x.dim(2), (int) x.dim(3), m, ho, wo,
        (int) pads[0], (int) pads[1], bias, res, act);
    layer.run(ctx.parallel());
    return out;
  }

  /**
   * One convolution's operands and geometry, and its tiling: blocks of whole rows of tiles, each
   * row of {@code tw} tiles followed by one spare tile (the transforms then run over a block as
   * one run of {@code rows * (tw + 1)} tiles; the spare's results are never stored).
   */
  private record Layer(float[] x, int x0, float[] u, int u0, float[] y, int y0, int n, int c,
      int h, int w, int m, int ho, int wo, int padTop, int padLeft, float[] bias,
      Conv.Residual res, Activation act) {

    int tileCols() {
      return (wo + Winograd.TILE - 1) / Winograd.TILE;
    }

    int tileRows() {
      return (ho + Winograd.TILE - 1) / Winograd.TILE;
    }

    /**
     * Tile rows per block: blocks as few as keep each block's transformed input (or products)
     * within BLOCK_FLOATS, and as even as they can be.
     */
    int rowsPerBlock() {
      long perRow = (long) Winograd.POSITIONS * c * (tileCols() + 1);
      int most = (int) Math.max(1, Math.min(tileRows(), BLOCK_FLOATS / perRow));
      int blocks = (tileRows() + most - 1) / most;
      return (tileRows() + blocks - 1) / blocks;
    }

    void run(Parallel par) {
      int tws = tileCols() + 1;
      int rpb = rowsPerBlock();
      int blocks = (tileRows() + rpb - 1) / rpb;
      int tasks = n * blocks;
      boolean perTask = tasks >= 2 * par.threads();
      Parallel inner = perTask ? Parallel.serial() : par;
      int most = rpb * tws;
      long work = (long) Winograd.POSITIONS * m * c * most;
      (perTask ? par : Parallel.serial()).forRange(tasks, work, (from, to) -> {
        Scratch s = Scratch.get();
        // The transformed input [16][C][tiles]; the products [16][M][tiles], then the
        // transforms' work space: eight split rows (tiles + 1 each) and four (input) or six
        // (output) runs of tiles.
        float[] v = s.col(Winograd.POSITIONS * c * most);
        int mc = Math.min(m, MC);
        int work0 = Winograd.POSITIONS * mc * most;
        float[] mm = s.transposed(work0 + 12 * most + 8);
        for (int t = from; t < to; t++) {
          int img = t / blocks;
          int ty0 = (t % blocks) * rpb;
          int rows = Math.min(tileRows(), ty0 + rpb) - ty0;
          int tb = rows * tws;
          transformInput(img, ty0, rows, tb, v, mm, work0);
          // The products a chunk of output channels at a time, so that they and the
          // transformed input stay in cache until the output transform reads them.
          for (int oc0 = 0; oc0 < m; oc0 += mc) {
            int chunk = Math.min(mc, m - oc0);
            Arrays.fill(mm, 0, Winograd.POSITIONS * chunk * tb, 0f);
            for (int k = 0; k < Winograd.POSITIONS; k++) {
              Blas.sgemm(chunk, tb, c, u, u0 + (k * m + oc0) * c, c, v, k * c * tb, tb, mm,
                  k * chunk * tb, tb, inner);
            }
            transformOutput(img, ty0, rows, tb, oc0, chunk, mm, work0);
          }
        }
      });
    }

    /** {@code rows} tile rows from ty0 of image img, every channel, into {@code v[16][C][tb]}. */
    private void transformInput(int img, int ty0, int rows, int tb, float[] v, float[] work,
        int work0) {
      int tws = tileCols() + 1;
      int split = work0 + 4 * tb;
      int stride = tb + 1;
      for (int ch = 0; ch < c; ch++) {
        int plane = x0 + (img * c + ch) * h * w;
        for (int r = 0; r < Winograd.PATCH; r++) {
          int even = split + 2 * r * stride;
          for (int ty = 0; ty < rows; ty++) {
            splitRow(plane, Winograd.TILE * (ty0 + ty) - padTop + r, work, even + ty * tws,
                even + stride + ty * tws, tws);
          }
          work[even + tb] = 0f;
          work[even + stride + tb] = 0f;
        }
        Winograd.inputBlock(work, split, tb, work, work0, v, ch * tb, c * tb);
      }
    }

    /**
     * Input row {@code iy} (zero outside the image) split into the even and odd columns of the
     * padded row, {@code count} of each, at {@code even} and {@code odd}.
     */
    private void splitRow(int plane, int iy, float[] dst, int even, int odd, int count) {
      if (iy < 0 || iy >= h) {
        Arrays.fill(dst, even, even + count, 0f);
        Arrays.fill(dst, odd, odd + count, 0f);
        return;
      }
      int row = plane + iy * w;
      for (int j = 0; j < count; j++) {
        int col = Winograd.TILE * j - padLeft;
        dst[even + j] = col >= 0 && col < w ? x[row + col] : 0f;
        dst[odd + j] = col + 1 >= 0 && col + 1 < w ? x[row + col + 1] : 0f;
      }
    }

    /** The products of {@code rows} tile rows from ty0 back into the output, then the epilogue. */
    private void transformOutput(int img, int ty0, int rows, int tb, int oc0, int chunk,
        float[] mm, int work0) {
      int tws = tileCols() + 1;
      int pairs = wo / Winograd.TILE;
      boolean odd = pairs < tws - 1;
      int left = work0 + 4 * tb;
      int right = work0 + 5 * tb;
      int rowFrom = Winograd.TILE * ty0;
      int rowTo = Math.min(ho, Winograd.TILE * (ty0 + rows));
      for (int oc = oc0; oc < oc0 + chunk; oc++) {
        int plane = y0 + (img * m + oc) * ho * wo;
        for (int row = 0; row < Winograd.TILE; row++) {
          Winograd.outputBlock(mm, (oc - oc0) * tb, chunk * tb, tb, bias[oc], row, mm, work0);
          for (int ty = 0; ty < rows; ty++) {
            int oy = Winograd.TILE * (ty0 + ty) + row;
            if (oy >= ho) {
              break;
            }
            int dst = plane + oy * wo;
            int l = left + ty * tws;
            int r = right + ty * tws;
            for (int j = 0; j < pairs; j++) {
              y[dst + 2 * j] = mm[l + j];
              y[dst + 2 * j + 1] = mm[r + j];
            }
            if (odd) {
              y[dst + 2 * pairs] = mm[l + pairs];
            }
          }
        }
        int from = plane + rowFrom * wo;
        int len = (rowTo - rowFrom) * wo;
        if (res != null) {
          res.addTo(y, from, len, from - y0);
        }
        act.applyTo(y, from, from + len);
      }
    }
  }
}
