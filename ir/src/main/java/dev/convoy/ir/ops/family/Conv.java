package dev.convoy.ir.ops.family;

import static dev.convoy.ir.ops.Kernels.one;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.Broadcast;
import dev.convoy.ir.ops.InferenceContext;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.Kernels;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.NodeContext;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.ShapeFns;
import dev.convoy.ir.ops.runtime.Blas;
import dev.convoy.ir.ops.runtime.Parallel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Convolutions over 1-D, 2-D and 3-D (any spatial rank): Conv (grouped, dilated, strided,
 * explicit or automatic padding) as im2col plus {@link Blas#sgemm}, and ConvTranspose as
 * {@link Blas#sgemm} plus col2im. Float32, float16 and bfloat16 (via float arrays). Groups run in
 * parallel when there are many (depthwise); otherwise the product itself is parallel. The tuned
 * paths for 2-D and pointwise convolutions are in {@link BlockedConv}, which sums a 2-D
 * convolution's terms in {@code (kh, kw, C)} order, as the channels-last {@link NhwcConv} does.
 */
public final class Conv implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    r.op("Conv", 1).inputs(2, 3).attr("auto_pad", "NOTSET").optionalAttr("dilations")
        .attr("group", 1L).optionalAttr("kernel_shape").optionalAttr("pads")
        .optionalAttr("strides")
        .shape(ctx -> shape(ctx, false))
        .kernel(ctx -> one(conv(ctx, Activation.NONE)));
    r.op("ConvTranspose", 1).inputs(2, 3).attr("auto_pad", "NOTSET").optionalAttr("dilations")
        .attr("group", 1L).optionalAttr("kernel_shape").optionalAttr("output_padding")
        .optionalAttr("output_shape").optionalAttr("pads").optionalAttr("strides")
        .shape(ctx -> shape(ctx, true))
        .kernel(ctx -> one(convTranspose(ctx)));
  }

  /** Spatial geometry of one convolution: pads at both ends and the output sizes. */
  record Geometry(long[] in, long[] kernel, long[] strides, long[] dilations, long[] padBegin,
      long[] padEnd, long[] out) {
    /** A 1-D geometry as the 2-D one of a single row (height 1, kernel height 1, no pad). */
    Geometry asRow() {
      return new Geometry(prepend(1, in), prepend(1, kernel), prepend(1, strides),
          prepend(1, dilations), prepend(0, padBegin), prepend(0, padEnd), prepend(1, out));
    }

    private static long[] prepend(long v, long[] a) {
      long[] out = new long[a.length + 1];
      out[0] = v;
      System.arraycopy(a, 0, out, 1, a.length);
      return out;
    }
  }

  private static long[] orOnes(long[] v, int r) {
    if (v != null) {
      return v;
    }
    long[] ones = new long[r];
    Arrays.fill(ones, 1);
    return ones;
  }

  /**
   * The output spatial sizes of a Conv (or pooling window) per ONNX: explicit pads, or
   * SAME_UPPER/SAME_LOWER ({@code out = ceil(in / stride)}, the odd pad at the end or start),
   * or VALID.
   */
  static Geometry convGeometry(NodeContext ctx, long[] in, long[] kernel) {
    int r = in.length;
    long[] strides = orOnes(ctx.attrLongs("strides"), r);
    long[] dil = orOnes(ctx.attrLongs("dilations"), r);
    long[] pads = ctx.attrLongs("pads");
    long[] pb = new long[r];
    long[] pe = new long[r];
    long[] out = new long[r];
    String autoPad = ctx.attrString("auto_pad");
    if (strides.length != r || dil.length != r || kernel.length != r
        || (pads != null && pads.length != 2 * r)) {
      throw ctx.error("strides, dilations, kernel_shape and pads must match " + r
          + " spatial dimensions");
    }
    for (int d = 0; d < r; d++) {
      long span = (kernel[d] - 1) * dil[d] + 1;
      switch (autoPad) {
        case "SAME_UPPER", "SAME_LOWER" -> {
          out[d] = (in[d] + strides[d] - 1) / strides[d];
          long total = Math.max(0, (out[d] - 1) * strides[d] + span - in[d]);
          pb[d] = autoPad.equals("SAME_UPPER") ? total / 2 : total - total / 2;
          pe[d] = total - pb[d];
        }
        case "VALID" -> out[d] = (in[d] - span) / strides[d] + 1;
        case "NOTSET", "" -> {
          if (pads != null) {
            pb[d] = pads[d];
            pe[d] = pads[d + r];
          }
          out[d] = Math.floorDiv(in[d] + pb[d] + pe[d] - span, strides[d]) + 1;
        }
        default -> throw ctx.error("unknown auto_pad '" + autoPad + "'");
      }
      if (out[d] < 0) {
        out[d] = 0;
      }
    }
    return new Geometry(in, kernel, strides, dil, pb, pe, out);
  }

  static Geometry transposeGeometry(NodeContext ctx, long[] in, long[] kernel) {
    int r = in.length;
    long[] strides = orOnes(ctx.attrLongs("strides"), r);
    long[] dil = orOnes(ctx.attrLongs("dilations"), r);
    long[] outPad = ctx.attrLongs("output_padding");
    if (outPad == null) {
      outPad = new long[r];
    }
    long[] pads = ctx.attrLongs("pads");
    long[] outShape = ctx.attrLongs("output_shape");
    String autoPad = ctx.attrString("auto_pad");
    long[] pb = new long[r];
    long[] pe = new long[r];
    long[] out = new long[r];
    boolean same = autoPad.equals("SAME_UPPER") || autoPad.equals("SAME_LOWER");
    for (int d = 0; d < r; d++) {
      long full = strides[d] * (in[d] - 1) + outPad[d] + (kernel[d] - 1) * dil[d] + 1;
      if (outShape != null || same) {
        out[d] = outShape != null ? outShape[outShape.length - r + d] : in[d] * strides[d];
        long total = full - out[d];
        // Floor division as in the ONNX reference: a negative total pads only the end.
        long half = Math.floorDiv(total, 2);
        if (autoPad.equals("SAME_UPPER")) {
          pb[d] = half;
          pe[d] = total - half;
        } else {
          pb[d] = total - half;
          pe[d] = half;
        }
      } else {
        if (pads != null && !autoPad.equals("VALID")) {
          pb[d] = pads[d];
          pe[d] = pads[d + r];
        }
        out[d] = full - pb[d] - pe[d];
      }
    }
    return new Geometry(in, kernel, strides, dil, pb, pe, out);
  }

  // ---- shape inference ----

  private static List<ValueType> shape(InferenceContext ctx, boolean transpose) {
    DType t = ShapeFns.firstDType(ctx);
    Shape x = ctx.shape(0);
    Shape w = ctx.shape(1);
    if (!x.hasRank()) {
      return ShapeFns.tensor(t, Shape.unknownRank());
    }
    if (x.rank() < 3) {
      throw ctx.contradiction("input must be [N, C, spatial...], got " + x);
    }
    int r = x.rank() - 2;
    List<Dim> out = new ArrayList<>();
    out.add(x.dim(0));
    long group = ctx.attrLong("group");
    Dim channels = Dim.UNKNOWN;
    if (w.hasRank()) {
      if (w.rank() != x.rank()) {
        throw ctx.contradiction("weight rank " + w.rank() + " differs from input rank "
            + x.rank());
      }
      channels = transpose
          ? (w.dim(1).isStatic() ? Dim.of(w.dim(1).size() * group) : Dim.UNKNOWN)
          : w.dim(0);
    }
    out.add(channels);
    long[] kernel = ctx.attrLongs("kernel_shape");
    if (kernel == null && w.hasRank()) {
      List<Dim> kd = w.dims().subList(2, w.rank());
      if (kd.stream().allMatch(Dim::isStatic)) {
        kernel = kd.stream().mapToLong(Dim::size).toArray();
      }
    }
    List<Dim> spatial = x.dims().subList(2, x.rank());
    if (kernel == null || !spatial.stream().allMatch(Dim::isStatic)) {
      for (int d = 0; d < r; d++) {
        out.add(Dim.UNKNOWN);
      }
      return ShapeFns.tensor(t, Shape.of(out));
    }
    long[] in = spatial.stream().mapToLong(Dim::size).toArray();
    Geometry g = transpose ? transposeGeometry(ctx, in, kernel) : convGeometry(ctx, in, kernel);
    for (long o : g.out()) {
      out.add(Dim.of(o));
    }
    return ShapeFns.tensor(t, Shape.of(out));
  }

  // ---- Conv ----

  private static void requireFloat(KernelContext ctx, NdArray x) {
    DType t = x.dtype();
    if (t != DType.FLOAT && t != DType.FLOAT16 && t != DType.BFLOAT16) {
      throw ctx.unsupportedType(t);
    }
  }

  /** Conv and ConvTranspose operands: float input and weight of one type, both [N, C, spatial...]. */
  private static void requireOperands(KernelContext ctx, NdArray x, NdArray w) {
    requireFloat(ctx, x);
    Kernels.requireSameType(ctx, x, w);
    if (x.rank() < 3 || w.rank() != x.rank()) {
      throw ctx.error("input " + x.describe() + " and weight " + w.describe()
          + " must both be [N, C, spatial...]");
    }
  }

  /**
   * Conv, then {@code act} on its output (FusedConv): on float32 the bias, the residual {@code
   * Z} (convoy FusedConv's input 3, of the output's shape: added before the activation, as the
   * Add it replaces) and the activation run on each block of the output as the product finishes
   * it, while it is in cache; other element types round the convolution first and apply the
   * activation after, as the unfused ops do.
   */
  static NdArray conv(KernelContext ctx, Activation act) {
    NdArray x = ctx.tensor(0);
    NdArray w = ctx.tensor(1);
    NdArray b = ctx.optionalTensor(2);
    requireOperands(ctx, x, w);
    int r = x.rank() - 2;
    long[] xd = x.dims();
    long[] wd = w.dims();
    int n = (int) xd[0];
    int c = (int) xd[1];
    int m = (int) wd[0];
    int group = ctx.attrInt("group");
    if (group <= 0 || c % group != 0 || m % group != 0 || wd[1] * group != c) {
      throw ctx.error("channels do not divide into " + group + " groups: input " + x.describe()
          + ", weight " + w.describe());
    }
    long[] kernel = ctx.attrLongs("kernel_shape");
    long[] wk = Arrays.copyOfRange(wd, 2, wd.length);
    if (kernel != null && !Arrays.equals(kernel, wk)) {
      throw ctx.error("kernel_shape " + Arrays.toString(kernel) + " disagrees with weight "
          + w.describe());
    }
    Geometry geo = convGeometry(ctx, Arrays.copyOfRange(xd, 2, xd.length), wk);
    int cg = c / group;
    int mg = m / group;
    int kprod = (int) Shape.product(wk);
    int inSize = (int) Shape.product(geo.in());
    int outSize = (int) Shape.product(geo.out());
    long[] outDims = new long[r + 2];
    outDims[0] = n;
    outDims[1] = m;
    System.arraycopy(geo.out(), 0, outDims, 2, r);
    float[] bias = null;
    if (b != null) {
      bias = b.toFloats();
      if (bias.length != m) {
        throw ctx.error("bias " + b.describe() + " must have " + m + " elements");
      }
    }
    // Float32 input and output are read and written where they lie (arena views included).
    boolean f32 = x.dtype() == DType.FLOAT;
    NdArray z = ctx.inputCount() > 3 ? ctx.optionalTensor(3) : null;
    if (z != null && (!f32 || z.dtype() != DType.FLOAT || !Arrays.equals(z.dims(), outDims))) {
      throw ctx.error("Z " + z.describe() + " must be float32 of the output's shape "
          + Arrays.toString(outDims) + ", with a float32 input");
    }
    Residual res = z == null ? null : new Residual((float[]) z.array(), z.offset());
    Activation epilogue = f32 ? act : Activation.NONE;
    float[] xs = f32 ? (float[]) x.array() : x.toFloats();
    int x0 = f32 ? x.offset() : 0;
    float[] ws = w.toFloats();
    NdArray out = f32 ? ctx.output(0, DType.FLOAT, outDims) : null;
    float[] y = f32 ? (float[]) out.array() : new float[NdArray.checkedSize(outDims)];
    int y0 = f32 ? out.offset() : 0;
    boolean pointwise = kprod == 1 && allZero(geo.padBegin()) && allZero(geo.padEnd())
        && allOne(geo.strides());
    Parallel par = ctx.parallel();
    // Only a true depthwise convolution (one output channel per input channel) runs directly, as
    // NhwcConv does; one input channel feeding many (a depth multiplier, a single-channel image)
    // goes through the GEMM, whose fused multiply-adds the channels-last GEMM repeats exactly.
    // A 1-D convolution runs as the 2-D one of a single row: through the im2col below, a grouped
    // one (silero's depthwise) built its columns and multiplied per group, a tiny product each.
    Geometry plane = r == 1 ? geo.asRow() : geo;
    if (plane.in().length == 2 && cg == 1 && mg == 1) {
      BlockedConv.depthwise(xs, x0, ws, y, y0, n, c, plane, bias, res, epilogue, par);
    } else if (plane.in().length == 2 || pointwise) {
      BlockedConv.gemm(xs, x0, ws, y, y0, n, c, group, mg, plane, pointwise, bias, res, epilogue,
          ctx, par);
    } else {
      int tasks = n * group;
      boolean perTask = group > 1 && tasks >= 2 * par.threads();
      Parallel inner = perTask ? Parallel.serial() : par;
      long taskWork = (long) mg * outSize * cg * kprod;
      (perTask ? par : Parallel.serial()).forRange(tasks, taskWork, (from, to) -> {
        float[] col = new float[cg * kprod * outSize];
        for (int t = from; t < to; t++) {
          int img = t / group;
          int g = t % group;
          im2col(xs, x0 + (img * c + g * cg) * inSize, cg, geo, col, inner);
          Blas.sgemm(mg, outSize, cg * kprod, ws, g * mg * cg * kprod, col, 0, y,
              y0 + (img * m + g * mg) * outSize, inner);
        }
      });
      for (int img = 0; img < n; img++) {
        for (int ch = 0; ch < m; ch++) {
          int off = y0 + (img * m + ch) * outSize;
          if (bias != null) {
            addBias(y, off, off + outSize, bias[ch]);
          }
          if (res != null) {
            res.addTo(y, off, outSize, off - y0);
          }
          epilogue.applyTo(y, off, off + outSize);
        }
      }
    }
    return f32 ? out : act.apply(NdArray.fromFloats(x.dtype(), outDims, y));
  }

  /** The residual Z a fused conv adds before its activation: its elements from {@code z0}. */
  record Residual(float[] z, int z0) {
    /** {@code y[from + i] += Z[at + i]} for i in {@code [0, len)}: Z's element at output index at. */
    void addTo(float[] y, int from, int len, int at) {
      int d = z0 + at - from;
      for (int i = from; i < from + len; i++) {
        y[i] += z[d + i];
      }
    }
  }

  /** {@code y[from, to) += v}, indexed by the loop variable itself so the JIT vectorizes it. */
  static void addBias(float[] y, int from, int to, float v) {
    for (int i = from; i < to; i++) {
      y[i] += v;
    }
  }

  /**
   * Per spatial dim d, for each kernel offset k and output (or input) position o, the matching
   * position on the other side or -1 when it falls in the padding.
   */
  private static int[][] positionTables(Geometry geo, boolean toInput) {
    int r = geo.in().length;
    int[][] tabs = new int[r][];
    for (int d = 0; d < r; d++) {
      int k = (int) geo.kernel()[d];
      int from = (int) (toInput ? geo.out()[d] : geo.in()[d]);
      int limit = (int) (toInput ? geo.in()[d] : geo.out()[d]);
      int[] tab = new int[k * from];
      for (int kk = 0; kk < k; kk++) {
        for (int o = 0; o < from; o++) {
          long p = toInput
              ? o * geo.strides()[d] - geo.padBegin()[d] + kk * geo.dilations()[d]
              : o * geo.strides()[d] - geo.padBegin()[d] + kk * geo.dilations()[d];
          tab[kk * from + o] = p >= 0 && p < limit ? (int) p : -1;
        }
      }
      tabs[d] = tab;
    }
    return tabs;
  }

  /** Fills {@code col[(ch*kprod + kidx) * outSize + o]} from one group of one image. */
  private static void im2col(float[] x, int xOff, int channels, Geometry geo, float[] col,
      Parallel par) {
    int r = geo.in().length;
    int[][] tabs = positionTables(geo, true);
    int kprod = (int) Shape.product(geo.kernel());
    int inSize = (int) Shape.product(geo.in());
    int outSize = (int) Shape.product(geo.out());
    int[] inStrides = Broadcast.strides(geo.in());
    int outLast = (int) geo.out()[r - 1];
    int outer = outLast == 0 ? 0 : outSize / outLast;
    par.forRange(channels * kprod, outSize, (from, to) -> {
      int[] kIdx = new int[r];
      int[] o = new int[r];
      for (int row = from; row < to; row++) {
        int ch = row / kprod;
        int rem = row % kprod;
        for (int d = r - 1; d >= 0; d--) {
          kIdx[d] = (int) (rem % geo.kernel()[d]);
          rem /= (int) geo.kernel()[d];
        }
        int base = xOff + ch * inSize;
        int dst = row * outSize;
        int[] lastTab = tabs[r - 1];
        int lastOff = kIdx[r - 1] * outLast;
        Arrays.fill(o, 0);
        for (int op = 0; op < outer; op++) {
          int off = base;
          boolean inside = true;
          for (int d = 0; d < r - 1; d++) {
            int p = tabs[d][kIdx[d] * (int) geo.out()[d] + o[d]];
            if (p < 0) {
              inside = false;
              break;
            }
            off += p * inStrides[d];
          }
          int rowDst = dst + op * outLast;
          if (!inside) {
            Arrays.fill(col, rowDst, rowDst + outLast, 0f);
          } else {
            for (int ol = 0; ol < outLast; ol++) {
              int p = lastTab[lastOff + ol];
              col[rowDst + ol] = p < 0 ? 0f : x[off + p];
            }
          }
          for (int d = r - 2; d >= 0; d--) {
            if (++o[d] < geo.out()[d]) {
              break;
            }
            o[d] = 0;
          }
        }
      }
    });
  }

  // ---- ConvTranspose ----

  private static NdArray convTranspose(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    NdArray w = ctx.tensor(1);
    NdArray b = ctx.optionalTensor(2);
    requireOperands(ctx, x, w);
    int r = x.rank() - 2;
    long[] xd = x.dims();
    long[] wd = w.dims();
    int n = (int) xd[0];
    int c = (int) xd[1];
    int group = ctx.attrInt("group");
    if (group <= 0 || c % group != 0 || wd[0] != c) {
      throw ctx.error("weight " + w.describe() + " must be [C, M/group, k...] for input "
          + x.describe() + " and group " + group);
    }
    int cg = c / group;
    int mg = (int) wd[1];
    int m = mg * group;
    long[] wk = Arrays.copyOfRange(wd, 2, wd.length);
    Geometry geo = transposeGeometry(ctx, Arrays.copyOfRange(xd, 2, xd.length), wk);
    for (long o : geo.out()) {
      if (o < 0) {
        throw ctx.error("negative output size " + Arrays.toString(geo.out()));
      }
    }
    int kprod = (int) Shape.product(wk);
    int inSize = (int) Shape.product(geo.in());
    int outSize = (int) Shape.product(geo.out());
    long[] outDims = new long[r + 2];
    outDims[0] = n;
    outDims[1] = m;
    System.arraycopy(geo.out(), 0, outDims, 2, r);
    float[] xs = x.toFloats();
    float[] ws = w.toFloats();
    float[] y = new float[NdArray.checkedSize(outDims)];
    int[][] tabs = positionTables(geo, false);
    int[] outStrides = Broadcast.strides(geo.out());
    Parallel par = ctx.parallel();
    float[] col = new float[mg * kprod * inSize];
    for (int img = 0; img < n; img++) {
      for (int g = 0; g < group; g++) {
        float[] wt = Blas.transpose(ws, g * cg * mg * kprod, cg, mg * kprod);
        Arrays.fill(col, 0f);
        Blas.sgemm(mg * kprod, inSize, cg, wt, 0, xs, (img * c + g * cg) * inSize, col, 0, par);
        int yBase = (img * m + g * mg) * outSize;
        par.forRange(mg, (long) kprod * inSize, (from, to) -> {
          int[] kIdx = new int[r];
          int[] i = new int[r];
          for (int ch = from; ch < to; ch++) {
            for (int kk = 0; kk < kprod; kk++) {
              int rem = kk;
              for (int d = r - 1; d >= 0; d--) {
                kIdx[d] = (int) (rem % wk[d]);
                rem /= (int) wk[d];
              }
              int src = (ch * kprod + kk) * inSize;
              Arrays.fill(i, 0);
              for (int ip = 0; ip < inSize; ip++) {
                int off = yBase + ch * outSize;
                boolean inside = true;
                for (int d = 0; d < r; d++) {
                  int p = tabs[d][kIdx[d] * (int) geo.in()[d] + i[d]];
                  if (p < 0) {
                    inside = false;
                    break;
                  }
                  off += p * outStrides[d];
                }
                if (inside) {
                  y[off] += col[src + ip];
                }
                for (int d = r - 1; d >= 0; d--) {
                  if (++i[d] < geo.in()[d]) {
                    break;
                  }
                  i[d] = 0;
                }
              }
            }
          }
        });
      }
    }
    if (b != null) {
      float[] bias = b.toFloats();
      if (bias.length != m) {
        throw ctx.error("bias " + b.describe() + " must have " + m + " elements");
      }
      for (int img = 0; img < n; img++) {
        for (int ch = 0; ch < m; ch++) {
          int off = (img * m + ch) * outSize;
          for (int i = 0; i < outSize; i++) {
            y[off + i] += bias[ch];
          }
        }
      }
    }
    return NdArray.fromFloats(x.dtype(), outDims, y);
  }

  private static boolean allZero(long[] v) {
    for (long x : v) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }

  private static boolean allOne(long[] v) {
    for (long x : v) {
      if (x != 1) {
        return false;
      }
    }
    return true;
  }
}
