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
import dev.convoy.ir.ops.runtime.Depthwise;
import dev.convoy.ir.ops.runtime.NhwcGemm;
import dev.convoy.ir.ops.runtime.Parallel;
import dev.convoy.ir.ops.runtime.Scratch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Channels-last 2-D convolutions of the {@code convoy} domain, which the {@code cvy} target's
 * layout pass writes: {@code NhwcConv(X, W, B?)} computes {@code act(Conv(X, W, B))} with X and Y
 * as {@code [N, H, W, C]} and the weight stored as {@code [kh, kw, C/group, M]} (HWIO, permuted
 * once when the model is optimized). Attributes are Conv's plus {@code activation}, {@code
 * activation_params}, {@code post_scale} and {@code post_shift} (those of {@link ConvoyFused}'s
 * FusedConv).
 *
 * <p>In this layout a convolution is a product of {@code [pixels, kh*kw*C/group]} patches (each
 * patch row is a run of contiguous channel vectors, so im2col is a series of array copies) by the
 * weight viewed as {@code [kh*kw*C/group, M]}, pixels as the long dimension: {@link NhwcGemm}'s
 * kernel (weights packed once per constant, bias and activation applied per block) runs it
 * straight on the input for a 1x1 stride-1 convolution; a depthwise one runs on {@link
 * Depthwise}'s kernel (channel vectors times the taps' weight vectors). Both layouts add each
 * output's terms in {@code (kh, kw, C)} order from zero, then the bias ({@code BlockedConv} orders
 * its im2col rows so), but {@link NhwcGemm} with fused multiply-adds (one rounding per term, the
 * NCHW product two), so results are the NCHW kernels' within float rounding. {@code
 * NhwcConvTranspose(X, W, B?)} is ConvTranspose channels-last (one group), its weight stored as
 * {@code [C, kh, kw, M]}. Float32 only.
 */
public final class NhwcConv implements OpFamily {
  /** Output pixels per block, scaled down as patches grow (bounds the block's floats). */
  private static final int BLOCK_FLOATS = 1 << 16;
  /** Channel runs shorter than this are copied by a loop (a call per run cost more). */
  private static final int SHORT_RUN = 8;

  @Override
  public void register(OpRegistrar r) {
    r.op(OpCatalog.CONVOY_DOMAIN, "NhwcConv", 1).inputs(2, 3).attr("auto_pad", "NOTSET")
        .optionalAttr("dilations").attr("group", 1L).optionalAttr("kernel_shape")
        .optionalAttr("pads").optionalAttr("strides").attr("activation", "")
        .attr("activation_params", new Attribute.FloatsAttr(new float[0]))
        .optionalAttr("post_scale").optionalAttr("post_shift")
        .shape(ctx -> shape(ctx, false)).kernel(ctx -> Kernels.one(conv(ctx)));
    r.op(OpCatalog.CONVOY_DOMAIN, "NhwcConvTranspose", 1).inputs(2, 3).attr("auto_pad", "NOTSET")
        .optionalAttr("dilations").attr("group", 1L).optionalAttr("kernel_shape")
        .optionalAttr("output_padding").optionalAttr("output_shape").optionalAttr("pads")
        .optionalAttr("strides").shape(ctx -> shape(ctx, true))
        .kernel(ctx -> Kernels.one(convTranspose(ctx)));
  }

  /**
   * ConvTranspose channels-last (one group): per block of input pixels, one GEMM {@code [pixels,
   * C] x [C, kh*kw*M]} ({@link NhwcGemm}, the weight packed once) gives every tap's contribution, which is added (channel vectors) at the
   * output pixel the tap lands on (col2im).
   */
  private static NdArray convTranspose(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    NdArray w = ctx.tensor(1);
    requireFloatOperands(ctx, x, w);
    long[] xd = x.dims();
    long[] wd = w.dims();
    if (x.rank() != 4 || w.rank() != 4 || wd[0] != xd[3] || ctx.attrInt("group") != 1) {
      throw ctx.error("input " + x.describe() + " and weight " + w.describe()
          + " must be [N, H, W, C] and [C, kh, kw, M], one group");
    }
    Conv.Geometry geo = Conv.transposeGeometry(ctx, new long[] {xd[1], xd[2]},
        new long[] {wd[1], wd[2]});
    int n = (int) xd[0];
    int ih = (int) xd[1];
    int iw = (int) xd[2];
    int c = (int) xd[3];
    int kh = (int) wd[1];
    int kw = (int) wd[2];
    int m = (int) wd[3];
    int oh = (int) geo.out()[0];
    int ow = (int) geo.out()[1];
    long[] outDims = {n, oh, ow, m};
    float[] bias = bias(ctx, m);
    // Input and output are read and written where they lie (arena views included).
    NdArray out = ctx.output(0, DType.FLOAT, outDims);
    float[] y = (float[]) out.array();
    int y0 = out.offset();
    if (geo.strides()[0] == kh && geo.strides()[1] == kw && geo.dilations()[0] == 1
        && geo.dilations()[1] == 1 && geo.padBegin()[0] == 0 && geo.padBegin()[1] == 0
        && oh == ih * kh && ow == iw * kw) {
      tiles(ctx, x, w.floats(), bias, new int[] {n, ih, iw, c, kh, kw, m}, y, y0);
      return out;
    }
    for (int off = y0; off < y0 + out.size(); off += m) {
      if (bias == null) {
        Arrays.fill(y, off, off + m, 0f);
      } else {
        System.arraycopy(bias, 0, y, off, m);
      }
    }
    float[] xs = (float[]) x.array();
    int x0 = x.offset();
    float[] ws = w.floats();
    int k = kh * kw * m;
    NhwcGemm.Packed packed =
        ctx.weightForm(1, ws, new PackKey(c, k, 1), () -> NhwcGemm.pack(ws, c, k, 1));
    int pixels = n * ih * iw;
    int block = Math.max(16, Math.min(pixels, BLOCK_FLOATS / Math.max(1, k)));
    float[] cols = new float[block * k];
    for (int p0 = 0; p0 < pixels; p0 += block) {
      int rows = Math.min(block, pixels - p0);
      NhwcGemm.multiply(rows, xs, x0 + p0 * c, c, packed, 0, null, cols, 0, k);
      for (int r = 0; r < rows; r++) {
        int p = p0 + r;
        int ix = p % iw;
        int iy = (p / iw) % ih;
        int img = p / (iw * ih);
        for (int a = 0; a < kh; a++) {
          int oy = (int) (iy * geo.strides()[0] - geo.padBegin()[0] + a * geo.dilations()[0]);
          if (oy < 0 || oy >= oh) {
            continue;
          }
          for (int bb = 0; bb < kw; bb++) {
            int ox = (int) (ix * geo.strides()[1] - geo.padBegin()[1] + bb * geo.dilations()[1]);
            if (ox < 0 || ox >= ow) {
              continue;
            }
            int dst = y0 + ((img * oh + oy) * ow + ox) * m;
            int src = r * k + (a * kw + bb) * m;
            for (int j = 0; j < m; j++) {
              y[dst + j] = y[dst + j] + cols[src + j];
            }
          }
        }
      }
    }
    return out;
  }

  /**
   * ConvTranspose whose stride is its kernel, unpadded (FPN-style 2x2 upsampling): every output
   * pixel gets exactly one tap, and for input row {@code iy} and kernel row {@code a} the outputs
   * of output row {@code iy*kh + a} are, input pixel after input pixel, the taps {@code (a, 0..kw)}
   * of each: one GEMM {@code [iw, C] x [C, kw*M]} written straight into that output row (the
   * weight packed once as kh groups of {@code kw*M} columns, the bias repeated kw times per group).
   * The same sums as the col2im path, with no zeroed output, column buffer or scatter.
   */
  private static void tiles(KernelContext ctx, NdArray x, float[] ws, float[] bias, int[] size,
      float[] y, int y0) {
    int n = size[0];
    int ih = size[1];
    int iw = size[2];
    int c = size[3];
    int kh = size[4];
    int kw = size[5];
    int m = size[6];
    int row = kw * m;
    NhwcGemm.Packed packed =
        ctx.weightForm(1, ws, new PackKey(c, row, kh), () -> NhwcGemm.pack(ws, c, row, kh));
    float[] tiled = null;
    if (bias != null) {
      tiled = new float[kh * row];
      for (int t = 0; t < kh * kw; t++) {
        System.arraycopy(bias, 0, tiled, t * m, m);
      }
    }
    float[] bt = tiled;
    float[] xs = (float[]) x.array();
    int x0 = x.offset();
    ctx.parallel().forRange(n * ih, (long) iw * c * kh * row, (from, to) -> {
      for (int r = from; r < to; r++) {
        for (int a = 0; a < kh; a++) {
          NhwcGemm.multiply(iw, xs, x0 + r * iw * c, c, packed, a, bt, y,
              y0 + (r * kh + a) * iw * row, row);
        }
      }
    });
  }

  /**
   * The shape of a channels-last convolution, {@code [N, Ho, Wo, M]}: weight {@code [kh, kw, C/g,
   * M]}, or {@code [C, kh, kw, M]} for the transposed convolution.
   */
  private static List<ValueType> shape(InferenceContext ctx, boolean transposed) {
    DType t = ShapeFns.firstDType(ctx);
    Shape x = ctx.shape(0);
    Shape w = ctx.shape(1);
    if (!x.hasRank()) {
      return ShapeFns.tensor(t, Shape.unknownRank());
    }
    if (x.rank() != 4 || (w.hasRank() && w.rank() != 4)) {
      throw ctx.contradiction("input and weight must be 4-D ([N, H, W, C], "
          + (transposed ? "[C, kh, kw, M]" : "[kh, kw, C/group, M]") + "), got " + x + " and "
          + w);
    }
    List<Dim> out = new ArrayList<>();
    out.add(x.dim(0));
    long[] kernel = ctx.attrLongs("kernel_shape");
    int k0 = transposed ? 1 : 0;
    if (kernel == null && w.hasRank() && w.dim(k0).isStatic() && w.dim(k0 + 1).isStatic()) {
      kernel = new long[] {w.dim(k0).size(), w.dim(k0 + 1).size()};
    }
    if (kernel != null && x.dim(1).isStatic() && x.dim(2).isStatic()) {
      long[] in = {x.dim(1).size(), x.dim(2).size()};
      Conv.Geometry g = transposed ? Conv.transposeGeometry(ctx, in, kernel)
          : Conv.convGeometry(ctx, in, kernel);
      out.add(Dim.of(g.out()[0]));
      out.add(Dim.of(g.out()[1]));
    } else {
      out.add(Dim.UNKNOWN);
      out.add(Dim.UNKNOWN);
    }
    out.add(w.hasRank() ? w.dim(3) : Dim.UNKNOWN);
    return ShapeFns.tensor(t, Shape.of(out));
  }

  private static NdArray conv(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    NdArray w = ctx.tensor(1);
    requireFloatOperands(ctx, x, w);
    if (x.rank() != 4 || w.rank() != 4) {
      throw ctx.error("input " + x.describe() + " and weight " + w.describe()
          + " must be [N, H, W, C] and [kh, kw, C/group, M]");
    }
    long[] xd = x.dims();
    long[] wd = w.dims();
    int c = (int) xd[3];
    int cg = (int) wd[2];
    int m = (int) wd[3];
    int group = ctx.attrInt("group");
    if (group <= 0 || cg * group != c || m % group != 0) {
      throw ctx.error("channels do not divide into " + group + " groups: input " + x.describe()
          + ", weight " + w.describe());
    }
    long[] kernel = ctx.attrLongs("kernel_shape");
    long[] wk = {wd[0], wd[1]};
    if (kernel != null && !Arrays.equals(kernel, wk)) {
      throw ctx.error("kernel_shape " + Arrays.toString(kernel) + " disagrees with weight "
          + w.describe());
    }
    Conv.Geometry geo = Conv.convGeometry(ctx, new long[] {xd[1], xd[2]}, wk);
    long[] outDims = {xd[0], geo.out()[0], geo.out()[1], m};
    float[] bias = bias(ctx, m);
    // Input and output are read and written where they lie (arena views included).
    NdArray out = ctx.output(0, DType.FLOAT, outDims);
    Io io = new Io((float[]) x.array(), x.offset(), (float[]) out.array(), out.offset());
    Shape2d s = new Shape2d((int) xd[0], (int) xd[1], (int) xd[2], c, geo);
    float[] ws = w.floats();
    Activation act = Activation.of(ctx);
    Parallel par = ctx.parallel();
    if (cg == 1 && m == c) {
      depthwise(io, ws, bias, s, act, par);
    } else {
      int k = s.kh * s.kw * cg;
      int mg = m / group;
      NhwcGemm.Packed packed = ctx.weightForm(1, ws, new PackKey(k, mg, group),
          () -> NhwcGemm.pack(ws, k, mg, group));
      gemm(io, packed, bias, s, m, act, par);
    }
    return out;
  }

  /** The input and output arrays and the index of element 0 of each. */
  private record Io(float[] x, int x0, float[] y, int y0) {}

  /** What a packed weight was packed for (a reshape may share the storage). */
  private record PackKey(int k, int mg, int groups) {}

  /** The optional bias (input 2) as {@code m} floats, or null. */
  private static float[] bias(KernelContext ctx, int m) {
    NdArray b = ctx.optionalTensor(2);
    if (b == null) {
      return null;
    }
    if (b.dtype() != DType.FLOAT || b.size() != m) {
      throw ctx.error("bias " + b.describe() + " must be " + m + " float32");
    }
    return b.toFloats();
  }

  private static void requireFloatOperands(KernelContext ctx, NdArray x, NdArray w) {
    if (x.dtype() != DType.FLOAT) {
      throw ctx.unsupportedType(x.dtype());
    }
    Kernels.requireSameType(ctx, x, w);
  }

  /** The sizes of one channels-last 2-D convolution. */
  private record Shape2d(int n, int ih, int iw, int c, int kh, int kw, int oh, int ow, int sh,
      int sw, int dh, int dw, int ph, int pw) {
    Shape2d(int n, int ih, int iw, int c, Conv.Geometry g) {
      this(n, ih, iw, c, (int) g.kernel()[0], (int) g.kernel()[1], (int) g.out()[0],
          (int) g.out()[1], (int) g.strides()[0], (int) g.strides()[1], (int) g.dilations()[0],
          (int) g.dilations()[1], (int) g.padBegin()[0], (int) g.padBegin()[1]);
    }

    boolean pointwise() {
      return kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0 && oh == ih
          && ow == iw;
    }
  }

  /**
   * {@code y = act(patches(x) * W + bias)} per group over blocks of output pixels, on {@link
   * NhwcGemm}'s kernel: a stride-1 1x1 convolution multiplies the input where it lies (its rows
   * are the pixels' channel vectors), others copy each block's patches (runs of channel vectors)
   * into a per-thread matrix that stays in L2. Each block gets its activation while in cache.
   */
  private static void gemm(Io io, NhwcGemm.Packed w, float[] bias, Shape2d s, int m,
      Activation act, Parallel par) {
    int group = w.groups();
    int cg = s.c / group;
    int mg = w.mg();
    int k = w.k();
    boolean direct = s.pointwise();
    int unit = group == 1 && !direct ? NhwcGemm.tapRows(w) : 0;
    int[] taps = unit > 0 ? taps(s) : null;
    int pixels = s.n * s.oh * s.ow;
    int block = Math.max(4, Math.min(pixels, (BLOCK_FLOATS / Math.max(1, k)) & ~3));
    int blocks = (pixels + block - 1) / block;
    par.forRange(blocks, (long) block * k * m, (from, to) -> {
      float[] col = direct ? null : Scratch.get().col(block * k);
      for (int bi = from; bi < to; bi++) {
        int p0 = bi * block;
        int rows = Math.min(block, pixels - p0);
        int yOff = io.y0() + p0 * m;
        for (int g = 0; g < group; g++) {
          if (direct) {
            NhwcGemm.multiply(rows, io.x(), io.x0() + p0 * s.c + g * cg, s.c, w, g, bias, io.y(),
                yOff + g * mg, m);
          } else if (taps != null) {
            inPlace(io, s, w, bias, taps, unit, p0, rows, col, m);
          } else {
            patches(io, s, g * cg, cg, p0, rows, col);
            NhwcGemm.multiply(rows, col, 0, k, w, g, bias, io.y(), yOff + g * mg, m);
          }
        }
        act.applyTo(io.y(), yOff, yOff + rows * m);
      }
    });
  }

  /**
   * Where each term of a one-group convolution's patch lies from the first (tap (0, 0), channel
   * 0) of the pixel's patch in the input, in the patch's {@code (kh, kw, C)} order.
   */
  private static int[] taps(Shape2d s) {
    int[] taps = new int[s.kh * s.kw * s.c];
    for (int a = 0, t = 0; a < s.kh; a++) {
      for (int b = 0; b < s.kw; b++) {
        for (int j = 0; j < s.c; j++, t++) {
          taps[t] = (a * s.dh * s.iw + b * s.dw) * s.c + j;
        }
      }
    }
    return taps;
  }

  /**
   * A one-group convolution's output pixels {@code [p0, p0 + rows)}: runs of {@code unit} pixels
   * of one output row whose patches lie inside the input are multiplied where they lie ({@link
   * NhwcGemm#multiplyTaps}); the others (at padded borders, the rest of a row) through copied
   * patches. The same sums either way.
   */
  private static void inPlace(Io io, Shape2d s, NhwcGemm.Packed w, float[] bias, int[] taps,
      int unit, int p0, int rows, float[] col, int m) {
    // Output columns [lo, hi) read no padding across; rows likewise checked per row.
    int lo = (s.pw + s.sw - 1) / s.sw;
    int hi = Math.floorDiv(s.iw - 1 + s.pw - (s.kw - 1) * s.dw, s.sw) + 1;
    int end = p0 + rows;
    int copied = p0;
    for (int p = p0; p < end; ) {
      int rowStart = p - p % s.ow;
      int rowEnd = Math.min(end, rowStart + s.ow);
      int oy = (p / s.ow) % s.oh;
      int img = p / (s.ow * s.oh);
      int iy = oy * s.sh - s.ph;
      int from = Math.max(p, rowStart + lo);
      int n = (Math.min(rowEnd, rowStart + hi) - from) / unit * unit;
      if (iy >= 0 && iy + (s.kh - 1) * s.dh < s.ih && n > 0) {
        copiedPatches(io, s, w, bias, copied, from - copied, col, m);
        int ix = (from - rowStart) * s.sw - s.pw;
        NhwcGemm.multiplyTaps(n, io.x(), io.x0() + ((img * s.ih + iy) * s.iw + ix) * s.c,
            s.sw * s.c, taps, w, 0, bias, io.y(), io.y0() + from * m, m);
        copied = from + n;
      }
      p = rowEnd;
    }
    copiedPatches(io, s, w, bias, copied, end - copied, col, m);
  }

  /** One group's pixels {@code [p0, p0 + rows)} through patches copied into {@code col}. */
  private static void copiedPatches(Io io, Shape2d s, NhwcGemm.Packed w, float[] bias, int p0,
      int rows, float[] col, int m) {
    if (rows > 0) {
      patches(io, s, 0, s.c, p0, rows, col);
      NhwcGemm.multiply(rows, col, 0, w.k(), w, 0, bias, io.y(), io.y0() + p0 * m, m);
    }
  }

  /** The patches of output pixels {@code [p0, p0 + rows)}, channels {@code [c0, c0 + cg)}. */
  private static void patches(Io io, Shape2d s, int c0, int cg, int p0, int rows,
      float[] col) {
    int k = s.kh * s.kw * cg;
    for (int r = 0; r < rows; r++) {
      int p = p0 + r;
      int ox = p % s.ow;
      int oy = (p / s.ow) % s.oh;
      int img = p / (s.ow * s.oh);
      int dst = r * k;
      int ix0 = ox * s.sw - s.pw;
      // One group, undilated and inside: a kernel row's taps are adjacent pixels, one run.
      boolean rowRuns = cg == s.c && s.dw == 1 && ix0 >= 0 && ix0 + s.kw <= s.iw;
      for (int a = 0; a < s.kh; a++) {
        int iy = oy * s.sh - s.ph + a * s.dh;
        if (rowRuns && iy >= 0 && iy < s.ih) {
          System.arraycopy(io.x(), io.x0() + ((img * s.ih + iy) * s.iw + ix0) * s.c, col, dst,
              s.kw * cg);
          dst += s.kw * cg;
          continue;
        }
        for (int bb = 0; bb < s.kw; bb++, dst += cg) {
          int ix = ix0 + bb * s.dw;
          if (iy < 0 || iy >= s.ih || ix < 0 || ix >= s.iw) {
            Arrays.fill(col, dst, dst + cg, 0f);
          } else if (cg < SHORT_RUN) {
            int src = io.x0() + ((img * s.ih + iy) * s.iw + ix) * s.c + c0;
            for (int j = 0; j < cg; j++) {
              col[dst + j] = io.x()[src + j];
            }
          } else {
            System.arraycopy(io.x(), io.x0() + ((img * s.ih + iy) * s.iw + ix) * s.c + c0, col,
                dst, cg);
          }
        }
      }
    }
  }

  /**
   * Depthwise ({@code group == C == M}) on {@link Depthwise}'s kernel, rows of output pixels in
   * parallel, each activated while in cache.
   */
  private static void depthwise(Io io, float[] w, float[] bias, Shape2d s, Activation act,
      Parallel par) {
    Depthwise.Geometry g = new Depthwise.Geometry(s.n, s.ih, s.iw, s.c, s.kh, s.kw, s.oh, s.ow,
        s.sh, s.sw, s.dh, s.dw, s.ph, s.pw);
    int rowFloats = s.ow * s.c;
    par.forRange(s.n * s.oh, (long) rowFloats * s.kh * s.kw, (from, to) -> {
      Depthwise.Taps taps = g.taps();
      for (int row = from; row < to; row++) {
        Depthwise.row(g, io.x(), io.x0(), w, bias, row, taps, io.y(), io.y0());
        int rowStart = io.y0() + row * rowFloats;
        act.applyTo(io.y(), rowStart, rowStart + rowFloats);
      }
    });
  }
}
