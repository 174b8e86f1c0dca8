package dev.convoy.ir.ops.family;

import static dev.convoy.ir.ops.Kernels.one;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.InferenceContext;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.ShapeFns;
import dev.convoy.ir.ops.runtime.ByteQuantizer;
import dev.convoy.ir.ops.runtime.IntGemm;
import dev.convoy.ir.ops.runtime.WeightCache;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The integer and quantized convolutions ConvInteger and QLinearConv, over {@link Conv}'s
 * geometry: products accumulate exactly in integers, and QLinearConv requantizes with
 * {@link Quantize}'s rounding (half to even) and saturation; and QLinearGlobalAveragePool
 * ({@code convoy} and {@code com.microsoft}), which averages quantized values the same way;
 * and Convoy's QdqGlobalAveragePool, the float32 sequence it replaces as one kernel.
 */
public final class QuantizedConv implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    r.op("ConvInteger", 10).inputs(2, 4).attr("auto_pad", "NOTSET").optionalAttr("dilations")
        .attr("group", 1L).optionalAttr("kernel_shape").optionalAttr("pads")
        .optionalAttr("strides")
        .shape(ctx -> convShape(ctx, DType.INT32, 0, 1))
        .kernel(ctx -> one(convInteger(ctx)));
    r.op("QLinearConv", 10).inputs(8, 9).attr("auto_pad", "NOTSET").optionalAttr("dilations")
        .attr("group", 1L).optionalAttr("kernel_shape").optionalAttr("pads")
        .optionalAttr("strides")
        .shape(ctx -> convShape(ctx, ctx.dtype(7), 0, 3))
        .kernel(ctx -> one(qLinearConv(ctx)));
    // ONNX Runtime's quantized GlobalAveragePool (NCHW only), and Convoy's of the same signature.
    for (String domain : List.of(OpCatalog.CONVOY_DOMAIN, ConvoyFused.MICROSOFT)) {
      r.op(domain, "QLinearGlobalAveragePool", 1).inputs(5).attr("channels_last", 0L)
          .shape(ctx -> ShapeFns.tensor(ctx.dtype(4), pooledShape(ctx.shape(0))))
          .kernel(ctx -> one(qLinearGlobalAveragePool(ctx)));
    }
    // Convoy's DequantizeLinear, GlobalAveragePool, QuantizeLinear as one kernel with their
    // float32 arithmetic: where the integer sum cannot be proved to round as the float mean does.
    r.op(OpCatalog.CONVOY_DOMAIN, "QdqGlobalAveragePool", 1).inputs(5)
        .shape(ctx -> ShapeFns.tensor(ctx.dtype(4), pooledShape(ctx.shape(0))))
        .kernel(ctx -> one(qdqGlobalAveragePool(ctx)));
  }

  /** [N, C, 1, ...]: every spatial axis pooled to one. */
  private static Shape pooledShape(Shape x) {
    if (!x.hasRank() || x.rank() < 3) {
      return Shape.unknownRank();
    }
    List<Dim> out = new ArrayList<>(x.dims().subList(0, 2));
    for (int i = 2; i < x.rank(); i++) {
      out.add(Dim.of(1));
    }
    return Shape.of(out);
  }

  /**
   * The mean over the spatial axes of {@code x - x_zero_point}, summed exactly in a long,
   * requantized once with {@code x_scale / (y_scale * count)} (half to even, saturating).
   */
  private static NdArray qLinearGlobalAveragePool(KernelContext ctx) {
    if (ctx.attrLong("channels_last") != 0) {
      throw new dev.convoy.ir.UnsupportedOpException(ctx.where() + ": channels_last is not"
          + " supported");
    }
    NdArray x = ctx.tensor(0);
    if (x.rank() < 3) {
      throw ctx.error("input " + x.describe() + " must be [N, C, spatial...]");
    }
    long xz = zeroPoint(ctx, 2);
    NdArray yzp = ctx.tensor(4);
    long[] rg = Quantize.range(ctx, yzp.dtype());
    long[] xd = x.dims();
    int count = (int) (x.size() / (xd[0] * xd[1]));
    double scale = ctx.scalarDouble(1, 1) / (ctx.scalarDouble(3, 1) * count);
    long yz = yzp.getLong(0);
    long[] dims = xd.clone();
    java.util.Arrays.fill(dims, 2, dims.length, 1);
    NdArray y = NdArray.allocate(yzp.dtype(), dims);
    long[] v = x.toLongs();
    for (int p = 0; p < xd[0] * xd[1]; p++) {
      long sum = 0;
      for (int i = p * count; i < (p + 1) * count; i++) {
        sum += v[i] - xz;
      }
      y.setLong(p, Quantize.saturate(Math.rint(sum * scale) + yz, rg));
    }
    return y;
  }

  /**
   * {@code QuantizeLinear(GlobalAveragePool(DequantizeLinear(x)))} for 8-bit x and y, per-tensor
   * float32 scales, with the three kernels' own arithmetic, so bit for bit what they give in
   * sequence: each value dequantized to float32 as {@link Quantize}'s DequantizeLinear does,
   * summed in a double in order and divided as {@link Pooling}'s GlobalAveragePool does, the
   * float32 mean quantized by {@link ByteQuantizer} as QuantizeLinear does. No float tensor of
   * x's size is made.
   */
  private static NdArray qdqGlobalAveragePool(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    NdArray yzp = ctx.tensor(4);
    if (x.rank() < 3) {
      throw ctx.error("input " + x.describe() + " must be [N, C, spatial...]");
    }
    if (!isByte(x.dtype()) || !isByte(yzp.dtype()) || ctx.tensor(1).dtype() != DType.FLOAT
        || ctx.tensor(3).dtype() != DType.FLOAT) {
      throw ctx.error("needs 8-bit x and y with float32 scales, has " + x.describe() + ", "
          + yzp.describe());
    }
    double xs = ctx.scalarDouble(1, 1);
    double xz = zeroPoint(ctx, 2);
    float ys = (float) ctx.scalarDouble(3, 1);
    float yz = yzp.getLong(0);
    long[] xd = x.dims();
    int planes = (int) (xd[0] * xd[1]);
    int plane = planes == 0 ? 0 : (int) (x.size() / planes);
    byte[] b = x.bytes();
    int mask = x.dtype() == DType.UINT8 ? 0xFF : -1;
    float[] means = new float[planes];
    for (int c = 0; c < planes; c++) {
      double acc = 0;
      for (int i = c * plane; i < (c + 1) * plane; i++) {
        acc += (float) (((b[i] & mask) - xz) * xs);
      }
      means[c] = (float) (acc / plane);
    }
    long[] dims = xd.clone();
    Arrays.fill(dims, 2, dims.length, 1);
    byte[] out = new byte[planes];
    boolean unsigned = yzp.dtype() == DType.UINT8;
    ByteQuantizer.quantize(means, 0, planes, ys, yz, unsigned ? 0 : -128, unsigned ? 255 : 127,
        out);
    return NdArray.wrap(yzp.dtype(), dims, out);
  }

  private static boolean isByte(DType t) {
    return t == DType.UINT8 || t == DType.INT8;
  }

  private static List<ValueType> convShape(InferenceContext ctx, DType t, int xi, int wi) {
    Shape x = ctx.shape(xi);
    Shape w = ctx.shape(wi);
    if (t == null) {
      return null;
    }
    if (!x.hasRank() || !w.hasRank() || x.rank() < 3) {
      return ShapeFns.tensor(t, Shape.unknownRank());
    }
    List<Dim> out = new ArrayList<>();
    out.add(x.dim(0));
    out.add(w.dim(0));
    List<Dim> spatial = x.dims().subList(2, x.rank());
    List<Dim> kd = w.dims().subList(2, w.rank());
    long[] kernel = ctx.attrLongs("kernel_shape");
    if (kernel == null && kd.stream().allMatch(Dim::isStatic)) {
      kernel = kd.stream().mapToLong(Dim::size).toArray();
    }
    if (kernel == null || !spatial.stream().allMatch(Dim::isStatic)) {
      out.addAll(ShapeFns.unknownDims(spatial.size()).dims());
    } else {
      long[] in = spatial.stream().mapToLong(Dim::size).toArray();
      for (long o : Conv.convGeometry(ctx, in, kernel).out()) {
        out.add(Dim.of(o));
      }
    }
    return ShapeFns.tensor(t, Shape.of(out));
  }

  /**
   * The exact integer convolution of {@code x - xZero} with {@code w - wZero[m]} (any spatial
   * rank, groups, strides, dilations, pads), accumulated in int32 (ONNX Runtime's accumulator),
   * one value per output element, as one {@link IntGemm} product per (image, group) of the
   * centred weights and the im2col of the centred input. The centred weights and the im2col
   * index table are derived once per weight and geometry ({@link WeightCache}).
   */
  private static int[] convAccumulate(KernelContext ctx, NdArray x, int xZero, int wInput,
      int[] wZero, long[][] outDims) {
    NdArray w = ctx.tensor(wInput);
    if (x.rank() < 3 || w.rank() != x.rank()) {
      throw ctx.error("input " + x.describe() + " and weight " + w.describe()
          + " must be [N, C, spatial...] and [M, C/group, kernel...]");
    }
    if ((x.dtype() != DType.UINT8 && x.dtype() != DType.INT8)
        || (w.dtype() != DType.UINT8 && w.dtype() != DType.INT8)) {
      throw ctx.unsupportedType(x.dtype() != DType.UINT8 && x.dtype() != DType.INT8
          ? x.dtype() : w.dtype());
    }
    int r = x.rank() - 2;
    long[] xd = x.dims();
    long[] wd = w.dims();
    long[] in = Arrays.copyOfRange(xd, 2, xd.length);
    long[] kernel = Arrays.copyOfRange(wd, 2, wd.length);
    Conv.Geometry g = Conv.convGeometry(ctx, in, kernel);
    int group = ctx.attrInt("group");
    int batch = (int) xd[0];
    int channels = (int) xd[1];
    int outChannels = (int) wd[0];
    int cPerGroup = (int) wd[1];
    if (group <= 0 || channels != cPerGroup * group || outChannels % group != 0) {
      throw ctx.error("channels of input " + x.describe() + " and weight " + w.describe()
          + " do not fit group " + group);
    }
    if (wZero.length != 1 && wZero.length != outChannels) {
      throw ctx.error("w_zero_point must be a scalar or have " + outChannels + " elements");
    }
    int inSize = (int) Shape.product(in);
    int outSize = (int) Shape.product(g.out());
    int kSize = (int) Shape.product(kernel);
    int mPerGroup = outChannels / group;
    int kTotal = cPerGroup * kSize;
    List<Integer> zeros = Arrays.stream(wZero).boxed().toList();
    float[] wc = ctx.weightForm(wInput, w.array(), new CentredKey(zeros),
        () -> centredWeights(w, wZero, kTotal));
    TableKey tk = new TableKey(boxed(in), boxed(kernel), boxed(g.strides()),
        boxed(g.dilations()), boxed(g.padBegin()), boxed(g.out()));
    int[] table = ctx.weightForm(wInput, w.array(), tk, () -> indexTable(g, in, kernel));
    byte[] xs = (byte[]) x.array();
    int x0 = x.offset();
    int mask = x.dtype() == DType.UINT8 ? 0xFF : -1;
    int[] acc = new int[batch * outChannels * outSize];
    for (int b = 0; b < batch; b++) {
      for (int gi = 0; gi < group; gi++) {
        int xGroup = x0 + (b * channels + gi * cPerGroup) * inSize;
        int outBase = (b * outChannels + gi * mPerGroup) * outSize;
        if (cPerGroup == 1) {
          // One input channel per group (depthwise): too few taps for a product to pay.
          depthwise(xs, xGroup, mask, xZero, table, kSize, outSize, wc, gi * mPerGroup * kTotal,
              mPerGroup, acc, outBase);
          continue;
        }
        IntGemm.PackedB col = IntGemm.PackedB.zeros(kTotal, outSize);
        float[] cd = col.data();
        for (int c = 0; c < cPerGroup; c++) {
          int xBase = xGroup + c * inSize;
          for (int kp = 0; kp < kSize; kp++) {
            int row = c * kSize + kp;
            int t0 = kp * outSize;
            // Panel by panel, so the packed destination is contiguous.
            for (int j0 = 0; j0 < outSize; j0 += IntGemm.PANEL) {
              int dst = col.at(row, j0);
              int width = Math.min(IntGemm.PANEL, outSize - j0);
              for (int jj = 0; jj < width; jj++) {
                int off = table[t0 + j0 + jj];
                if (off >= 0) {
                  cd[dst + jj] = (xs[xBase + off] & mask) - xZero;
                }
              }
            }
          }
        }
        IntGemm.gemm(mPerGroup, wc, gi * mPerGroup * kTotal, col, acc, outBase, ctx.parallel());
      }
    }
    long[] dims = new long[xd.length];
    dims[0] = batch;
    dims[1] = outChannels;
    System.arraycopy(g.out(), 0, dims, 2, r);
    outDims[0] = dims;
    return acc;
  }

  /**
   * Output channels {@code m} of one group with one input channel (at {@code xs[x0]}): each
   * output element the exact int32 sum over the kernel taps of centred weight times centred
   * input, the padding contributing nothing.
   */
  private static void depthwise(byte[] xs, int x0, int mask, int xZero, int[] table, int kSize,
      int outSize, float[] wc, int w0, int m, int[] acc, int outBase) {
    for (int mi = 0; mi < m; mi++) {
      int o0 = outBase + mi * outSize;
      for (int kp = 0; kp < kSize; kp++) {
        int wv = (int) wc[w0 + mi * kSize + kp];
        int t0 = kp * outSize;
        for (int op = 0; op < outSize; op++) {
          int off = table[t0 + op];
          if (off >= 0) {
            acc[o0 + op] += wv * ((xs[x0 + off] & mask) - xZero);
          }
        }
      }
    }
  }

  /** What the centred weights depend on besides their storage. */
  private record CentredKey(List<Integer> zeroPoints) {}

  /** What the index table depends on: the geometry. */
  private record TableKey(List<Long> in, List<Long> kernel, List<Long> strides,
      List<Long> dilations, List<Long> padBegin, List<Long> out) {}

  private static List<Long> boxed(long[] v) {
    return Arrays.stream(v).boxed().toList();
  }

  /** {@code w - wZero[m]} as floats, row m holding output channel m's {@code kTotal} taps. */
  private static float[] centredWeights(NdArray w, int[] wZero, int kTotal) {
    byte[] v = (byte[]) w.array();
    int off = w.offset();
    int mask = w.dtype() == DType.UINT8 ? 0xFF : -1;
    float[] out = new float[(int) w.size()];
    for (int m = 0; m * kTotal < out.length; m++) {
      int z = wZero[wZero.length == 1 ? 0 : m];
      for (int i = m * kTotal; i < (m + 1) * kTotal; i++) {
        out[i] = (v[off + i] & mask) - z;
      }
    }
    return out;
  }

  /**
   * For each (kernel position, output position), at {@code kp * outSize + op}, the offset of
   * the input element it reads within one channel, or -1 in the padding.
   */
  private static int[] indexTable(Conv.Geometry g, long[] in, long[] kernel) {
    int r = in.length;
    int outSize = (int) Shape.product(g.out());
    int kSize = (int) Shape.product(kernel);
    int[] table = new int[outSize * kSize];
    int[] oc = new int[r];
    for (int op = 0; op < outSize; op++) {
      int[] kc = new int[r];
      for (int kp = 0; kp < kSize; kp++) {
        int off = 0;
        boolean inside = true;
        for (int d = 0; d < r; d++) {
          long pos = oc[d] * g.strides()[d] - g.padBegin()[d] + kc[d] * g.dilations()[d];
          if (pos < 0 || pos >= in[d]) {
            inside = false;
            break;
          }
          off = off * (int) in[d] + (int) pos;
        }
        table[kp * outSize + op] = inside ? off : -1;
        for (int d = r - 1; d >= 0; d--) {
          if (++kc[d] < kernel[d]) {
            break;
          }
          kc[d] = 0;
        }
      }
      for (int d = r - 1; d >= 0; d--) {
        if (++oc[d] < g.out()[d]) {
          break;
        }
        oc[d] = 0;
      }
    }
    return table;
  }

  private static long zeroPoint(KernelContext ctx, int i) {
    NdArray z = ctx.optionalTensor(i);
    if (z == null) {
      return 0;
    }
    if (z.size() != 1) {
      throw ctx.error("x_zero_point must be a scalar, is " + z.describe());
    }
    return z.getLong(0);
  }

  private static NdArray convInteger(KernelContext ctx) {
    NdArray wz = ctx.optionalTensor(3);
    long[][] dims = new long[1][];
    int[] acc = convAccumulate(ctx, ctx.tensor(0), (int) zeroPoint(ctx, 2), 1,
        wz == null ? new int[1] : ints(wz), dims);
    return NdArray.wrap(DType.INT32, dims[0], acc);
  }

  private static int[] ints(NdArray v) {
    return Arrays.stream(v.toLongs()).mapToInt(l -> (int) l).toArray();
  }

  /**
   * The accumulator plus the int32 bias, times {@code x_scale * w_scale[m] / y_scale}, rounded
   * half to even, plus y's zero point, saturated: in double, one output channel at a time.
   */
  private static NdArray qLinearConv(KernelContext ctx) {
    long[][] dims = new long[1][];
    int[] acc = convAccumulate(ctx, ctx.tensor(0), (int) zeroPoint(ctx, 2), 3,
        ints(ctx.tensor(5)), dims);
    double xs = ctx.scalarDouble(1, 1);
    double[] ws = ctx.tensor(4).toDoubles();
    double ys = ctx.scalarDouble(6, 1);
    NdArray yzp = ctx.tensor(7);
    long zp = yzp.getLong(0);
    long[] rg = Quantize.range(ctx, yzp.dtype());
    long[] bias = ctx.hasInput(8) ? ctx.tensor(8).toLongs() : null;
    int outChannels = (int) dims[0][1];
    int outSize = acc.length / Math.max(1, (int) dims[0][0] * outChannels);
    if (ws.length != 1 && ws.length != outChannels) {
      throw ctx.error("w_scale must be a scalar or have " + outChannels + " elements");
    }
    if (bias != null && bias.length != outChannels) {
      throw ctx.error("B must have " + outChannels + " elements");
    }
    NdArray y = NdArray.allocate(yzp.dtype(), dims[0]);
    boolean bytes = yzp.dtype() == DType.UINT8 || yzp.dtype() == DType.INT8;
    byte[] yb = bytes ? y.bytes() : null;
    for (int p = 0; p * outSize < acc.length; p++) {
      int m = p % outChannels;
      double b = bias == null ? 0 : bias[m];
      double scale = xs * ws[ws.length == 1 ? 0 : m] / ys;
      for (int i = p * outSize; i < (p + 1) * outSize; i++) {
        long q = Quantize.saturate(Math.rint((acc[i] + b) * scale) + zp, rg);
        if (bytes) {
          yb[i] = (byte) q;
        } else {
          y.setLong(i, q);
        }
      }
    }
    return y;
  }
}
