package dev.convoy.ir.ops.family;

import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.ValueType.TensorType;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.Broadcast;
import dev.convoy.ir.ops.InferenceContext;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.Kernels;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.NodeContext;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.RuntimeValue;
import dev.convoy.ir.ops.ShapeFns;
import dev.convoy.ir.ops.runtime.RowMax;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Pooling over {@code [N, C, D1..Dk]}: MaxPool (with the optional indices output, dilations,
 * ceil_mode, auto_pad, storage_order), AveragePool (count_include_pad, ceil_mode, dilations),
 * LpPool, the three global pools and MaxUnpool (pools over boxes are {@link RoiPooling}).
 *
 * <p>Windowed pools precompute, per output position, the flat spatial offsets of the input
 * elements its window covers (padding excluded) and the divisor for averaging, then run every
 * (n, c) plane over that table, planes in parallel.
 */
public final class Pooling implements OpFamily {

  private enum Mode { MAX, AVERAGE, LP }

  @Override
  public void register(OpRegistrar r) {
    // MaxPool 8 adds the indices output and storage_order; 10 adds dilations and ceil_mode.
    r.op("MaxPool", 1).requiredAttr("kernel_shape").attr("auto_pad", "NOTSET")
        .optionalAttr("pads").optionalAttr("strides").optionalAttr("dilations")
        .attr("ceil_mode", 0L).attr("storage_order", 0L).outputs(1, 2)
        .shape(ctx -> poolShape(ctx, true)).kernel(ctx -> pool(ctx, Mode.MAX));
    // AveragePool 19 adds dilations; ceil_mode since 10, count_include_pad since 7.
    r.op("AveragePool", 1).requiredAttr("kernel_shape").attr("auto_pad", "NOTSET")
        .optionalAttr("pads").optionalAttr("strides").optionalAttr("dilations")
        .attr("ceil_mode", 0L).attr("count_include_pad", 0L)
        .shape(ctx -> poolShape(ctx, false)).kernel(ctx -> pool(ctx, Mode.AVERAGE));
    // LpPool 1 has a float p; 2 makes it an int; 18 adds dilations and ceil_mode.
    r.op("LpPool", 1).requiredAttr("kernel_shape").attr("auto_pad", "NOTSET")
        .optionalAttr("pads").optionalAttr("strides").optionalAttr("dilations")
        .attr("ceil_mode", 0L).attr("p", 2L)
        .shape(ctx -> poolShape(ctx, false)).kernel(ctx -> pool(ctx, Mode.LP));
    r.op("GlobalMaxPool", 1).shape(Pooling::globalShape)
        .kernel(ctx -> Kernels.one(global(ctx, Mode.MAX, 0)));
    r.op("GlobalAveragePool", 1).shape(Pooling::globalShape)
        .kernel(ctx -> Kernels.one(global(ctx, Mode.AVERAGE, 0)));
    r.op("GlobalLpPool", 1).attr("p", 2L).shape(Pooling::globalShape)
        .kernel(ctx -> Kernels.one(global(ctx, Mode.LP, ctx.attrFloat("p"))));
    r.op("MaxUnpool", 9).inputs(2, 3).requiredAttr("kernel_shape").optionalAttr("pads")
        .optionalAttr("strides").shape(Pooling::unpoolShape)
        .kernel(ctx -> Kernels.one(maxUnpool(ctx)));
  }

  // ---- geometry ----

  /**
   * The window geometry along each spatial axis: kernel, stride, dilation, the padding at the
   * start and end, and the output size.
   */
  record Geometry(long[] kernel, long[] strides, long[] dilations, long[] padBegin,
      long[] padEnd, long[] out) {}

  /** Geometry for input spatial sizes {@code in} (entries -1 when unknown: output -1 too). */
  static Geometry geometry(NodeContext ctx, long[] in) {
    int k = in.length;
    long[] kernel = ctx.attrLongs("kernel_shape");
    if (kernel.length != k) {
      throw ctx.error("kernel_shape has " + kernel.length + " entries but the input has " + k
          + " spatial axes");
    }
    long[] strides = orOnes(ctx.attrLongs("strides"), k, ctx, "strides");
    long[] dil = ctx.def().attribute("dilations") == null ? ones(k)
        : orOnes(ctx.attrLongs("dilations"), k, ctx, "dilations");
    long[] pads = ctx.attrLongs("pads");
    if (pads == null) {
      pads = new long[2 * k];
    } else if (pads.length != 2 * k) {
      throw ctx.error("pads has " + pads.length + " entries, expected " + 2 * k);
    }
    boolean ceil = ctx.def().attribute("ceil_mode") != null && ctx.attrLong("ceil_mode") != 0;
    String autoPad = ctx.attrString("auto_pad");
    long[] pb = new long[k];
    long[] pe = new long[k];
    long[] out = new long[k];
    for (int i = 0; i < k; i++) {
      long eff = (kernel[i] - 1) * dil[i] + 1;
      if (in[i] < 0) {
        out[i] = -1;
        continue;
      }
      switch (autoPad) {
        case "NOTSET" -> {
          pb[i] = pads[i];
          pe[i] = pads[i + k];
          long span = in[i] + pb[i] + pe[i] - eff;
          out[i] = (ceil ? Math.floorDiv(span + strides[i] - 1, strides[i])
              : Math.floorDiv(span, strides[i])) + 1;
          // A last window that would start inside the end padding is dropped.
          if (ceil && (out[i] - 1) * strides[i] >= in[i] + pb[i]) {
            out[i]--;
          }
        }
        case "VALID" -> out[i] = Math.floorDiv(in[i] - eff, strides[i]) + 1;
        case "SAME_UPPER", "SAME_LOWER" -> {
          out[i] = Math.floorDiv(in[i] + strides[i] - 1, strides[i]);
          long total = Math.max(0, (out[i] - 1) * strides[i] + eff - in[i]);
          long small = total / 2;
          pb[i] = autoPad.equals("SAME_UPPER") ? small : total - small;
          pe[i] = total - pb[i];
        }
        default -> throw ctx.error("unknown auto_pad '" + autoPad + "'");
      }
      if (out[i] < 0) {
        out[i] = 0;
      }
    }
    return new Geometry(kernel, strides, dil, pb, pe, out);
  }

  private static long[] ones(int k) {
    long[] o = new long[k];
    Arrays.fill(o, 1);
    return o;
  }

  private static long[] orOnes(long[] v, int k, NodeContext ctx, String name) {
    if (v == null) {
      return ones(k);
    }
    if (v.length != k) {
      throw ctx.error(name + " has " + v.length + " entries, expected " + k);
    }
    return v;
  }

  private static List<ValueType> poolShape(InferenceContext ctx, boolean indices) {
    DType dt = ctx.dtype(0);
    Shape s = ctx.shape(0);
    Shape outShape = Shape.unknownRank();
    if (s.hasRank()) {
      if (s.rank() < 2) {
        throw ctx.contradiction("input must have rank at least 2, has shape " + s);
      }
      long[] in = new long[s.rank() - 2];
      for (int i = 0; i < in.length; i++) {
        Dim d = s.dim(i + 2);
        in[i] = d.isStatic() ? d.size() : -1;
      }
      Geometry g = geometry(ctx, in);
      List<Dim> dims = new ArrayList<>(List.of(s.dim(0), s.dim(1)));
      for (long o : g.out) {
        dims.add(o < 0 ? Dim.UNKNOWN : Dim.of(o));
      }
      outShape = Shape.of(dims);
    }
    if (dt == null) {
      return null;
    }
    List<ValueType> out = new ArrayList<>();
    out.add(new TensorType(dt, outShape));
    if (indices) {
      out.add(new TensorType(DType.INT64, outShape));
    }
    return out;
  }

  private static List<ValueType> globalShape(InferenceContext ctx) {
    Shape s = ctx.shape(0);
    if (!s.hasRank()) {
      return ShapeFns.tensor(ctx.dtype(0), s);
    }
    List<Dim> dims = new ArrayList<>();
    for (int i = 0; i < s.rank(); i++) {
      dims.add(i < 2 ? s.dim(i) : Dim.of(1));
    }
    return ShapeFns.tensor(ctx.dtype(0), Shape.of(dims));
  }

  // ---- windowed pools ----

  /** Per output position: the flat spatial input offsets of its window and its divisor. */
  record Windows(int[][] offsets, double[] divisors) {}

  /**
   * Along spatial axis {@code a}, per output index: the valid input indices of its window in tap
   * order ({@code taps}), and how many of its taps fall inside the padded extent ({@code padded},
   * what count_include_pad divides by).
   */
  record AxisTaps(int[][] taps, int[] padded) {}

  static AxisTaps axisTaps(Geometry g, long[] in, int a) {
    int n = (int) g.out[a];
    int[][] taps = new int[n][];
    int[] padded = new int[n];
    for (int o = 0; o < n; o++) {
      long start = o * g.strides[a] - g.padBegin[a];
      int[] tmp = new int[(int) g.kernel[a]];
      int c = 0;
      for (int t = 0; t < g.kernel[a]; t++) {
        long pos = start + t * g.dilations[a];
        if (pos >= 0 && pos < in[a]) {
          tmp[c++] = (int) pos;
        }
        if (pos >= -g.padBegin[a] && pos < in[a] + g.padEnd[a]) {
          padded[o]++;
        }
      }
      taps[o] = Arrays.copyOf(tmp, c);
    }
    return new AxisTaps(taps, padded);
  }

  static Windows windows(Geometry g, long[] in, boolean countPad) {
    return windows(g, in, countPad, false);
  }

  /**
   * The windows; with {@code countPad}, a window divides by its taps inside the padded extent
   * (AveragePool from opset 19), or by all its taps with {@code countOverhang} (up to opset 18,
   * where a ceil-mode window reaching past the end padding counts that overhang as padding too,
   * as ONNX Runtime does).
   */
  static Windows windows(Geometry g, long[] in, boolean countPad, boolean countOverhang) {
    int k = in.length;
    int outSize = NdArray.checkedSize(g.out);
    int[][] offsets = new int[outSize][];
    double[] divisors = new double[outSize];
    int[][][] axisIdx = new int[k][][];
    int[][] axisPadded = new int[k][];
    for (int a = 0; a < k; a++) {
      AxisTaps t = axisTaps(g, in, a);
      axisIdx[a] = t.taps();
      axisPadded[a] = t.padded();
      if (countOverhang) {
        Arrays.fill(axisPadded[a], (int) g.kernel[a]);
      }
    }
    int[] inStrides = Broadcast.strides(in);
    int[] counter = new int[k];
    for (int p = 0; p < outSize; p++) {
      int total = 1;
      long padded = 1;
      for (int a = 0; a < k; a++) {
        total *= axisIdx[a][counter[a]].length;
        padded *= axisPadded[a][counter[a]];
      }
      int[] offs = new int[total];
      for (int w = 0; w < total; w++) {
        int rem = w;
        int off = 0;
        for (int a = k - 1; a >= 0; a--) {
          int[] idx = axisIdx[a][counter[a]];
          off += idx[rem % idx.length] * inStrides[a];
          rem /= idx.length;
        }
        offs[w] = off;
      }
      offsets[p] = offs;
      divisors[p] = countPad ? padded : total;
      for (int a = k - 1; a >= 0; a--) {
        if (++counter[a] < g.out[a]) {
          break;
        }
        counter[a] = 0;
      }
    }
    return new Windows(offsets, divisors);
  }

  private static List<RuntimeValue> pool(KernelContext ctx, Mode mode) {
    NdArray x = ctx.tensor(0);
    DType t = x.dtype();
    if (!t.isFloatingPoint() && !(mode == Mode.MAX && (t == DType.INT8 || t == DType.UINT8))) {
      throw ctx.unsupportedType(t);
    }
    if (x.rank() < 3) {
      throw ctx.error("input must have rank at least 3, has shape " + x.shape());
    }
    long[] dims = x.dims();
    long[] in = Arrays.copyOfRange(dims, 2, dims.length);
    Geometry g = geometry(ctx, in);
    if (mode == Mode.MAX && t == DType.FLOAT && in.length == 2 && !ctx.hasOutput(1)) {
      return Kernels.one(maxPool2dFloat(x, g, x, g, ctx));
    }
    boolean countPad = mode == Mode.AVERAGE && ctx.attrLong("count_include_pad") != 0;
    Windows w = windows(g, in, countPad, countPad && ctx.opset() <= 18);
    int planes = (int) (dims[0] * dims[1]);
    int inPlane = NdArray.checkedSize(in);
    int outPlane = NdArray.checkedSize(g.out);
    long[] outDims = new long[dims.length];
    outDims[0] = dims[0];
    outDims[1] = dims[1];
    System.arraycopy(g.out, 0, outDims, 2, g.out.length);
    double[] v = x.toDoubles();
    double[] y = new double[planes * outPlane];
    boolean wantIndices = mode == Mode.MAX && ctx.hasOutput(1);
    long[] idx = wantIndices ? new long[y.length] : null;
    boolean columnMajor = wantIndices && ctx.attrLong("storage_order") != 0;
    if (columnMajor && in.length != 2) {
      throw new UnsupportedOpException(ctx.where()
          + ": storage_order 1 is supported for 2-D pooling only");
    }
    double p = mode == Mode.LP ? ctx.attrFloat("p") : 0;
    ctx.parallel().forRange(planes, (long) outPlane * 4, (from, to) -> {
      for (int c = from; c < to; c++) {
        int base = c * inPlane;
        for (int o = 0; o < outPlane; o++) {
          int[] offs = w.offsets[o];
          double acc;
          switch (mode) {
            case MAX -> {
              acc = Double.NEGATIVE_INFINITY;
              int best = -1;
              for (int off : offs) {
                double e = v[base + off];
                if (e > acc || best < 0) {
                  acc = e;
                  best = off;
                }
              }
              if (idx != null && best >= 0) {
                long flat = best;
                if (columnMajor) {
                  flat = (best / in[1]) + (best % in[1]) * in[0];
                }
                idx[c * outPlane + o] = (long) base + flat;
              }
            }
            case AVERAGE -> {
              acc = 0;
              for (int off : offs) {
                acc += v[base + off];
              }
              acc /= w.divisors[o];
            }
            case LP -> {
              acc = 0;
              for (int off : offs) {
                acc += Math.pow(Math.abs(v[base + off]), p);
              }
              acc = Math.pow(acc, 1 / p);
            }
            default -> throw new IllegalStateException();
          }
          y[c * outPlane + o] = acc;
        }
      }
    });
    List<RuntimeValue> out = new ArrayList<>();
    out.add(NdArray.fromDoubles(t, outDims, y));
    if (wantIndices) {
      out.add(NdArray.wrap(DType.INT64, outDims, idx));
    }
    return out;
  }

  /**
   * 2-D MaxPool of a float32 tensor without the indices output, straight from the geometry and
   * a row at a time: for each window tap, the input elements it reads for the whole output row
   * are gathered into a zero-based buffer and folded into the row's maxima with Math.max, a loop
   * whose iterations are independent (so it vectorizes, where a per-window chain of compares is
   * bound by their latency). A window holding a NaN is redone as the general path does it (first
   * tap as is, later ones only when greater), so only the sign of a zero maximum can differ.
   * Input and output are read and written where they lie (arena views included). The windows
   * holding a NaN are redone over {@code source} with {@code full}'s windows: {@code x} and {@code
   * g} themselves for MaxPool, the original input for {@link ChainedMaxPool}, whose {@code x} is
   * an earlier pool of it (same plane sizes).
   */
  static NdArray maxPool2dFloat(NdArray x, Geometry g, NdArray source, Geometry full,
      KernelContext ctx) {
    long[] dims = x.dims();
    NdArray out = ctx.output(0, DType.FLOAT, new long[] {dims[0], dims[1], g.out[0], g.out[1]});
    maxPool2dInto(x, g, source, full, out, 0, ctx);
    return out;
  }

  /**
   * {@link #maxPool2dFloat}'s pool of {@code x} ({@code [N, C, H, W]}) written into channels
   * {@code [c0, c0 + C)} of {@code out} ({@code [N, C', oh, ow]}, C' at least {@code c0 + C}):
   * how {@link ConcatMaxPool} pools each input of a Concat straight into its slice.
   */
  static void maxPool2dInto(NdArray x, Geometry g, NdArray source, Geometry full, NdArray out,
      int c0, KernelContext ctx) {
    long[] dims = x.dims();
    int ih = (int) dims[2];
    int iw = (int) dims[3];
    int oh = (int) g.out[0];
    int ow = (int) g.out[1];
    int kh = (int) g.kernel[0];
    int kw = (int) g.kernel[1];
    int sh = (int) g.strides[0];
    int sw = (int) g.strides[1];
    int dh = (int) g.dilations[0];
    int dw = (int) g.dilations[1];
    int ph = (int) g.padBegin[0];
    int pw = (int) g.padBegin[1];
    int planes = (int) (dims[0] * dims[1]);
    // Output columns [lo, hi) whose whole window row lies inside the input row: their
    // horizontal maximum is one of the row's sliding maxima; the columns either side take theirs
    // tap by tap.
    int span = (kw - 1) * dw;
    int slide = iw - span;
    int lo = Math.min(ow, (pw + sw - 1) / sw);
    int hi = Math.max(lo, iw - 1 - span + pw < 0 ? 0 : Math.min(ow, (iw - 1 - span + pw) / sw + 1));
    int channels = (int) dims[1];
    int outChannels = (int) out.dims()[1];
    float[] v = (float[]) x.array();
    float[] y = (float[]) out.array();
    int x0 = x.offset();
    int y0 = out.offset();
    float[] sv = (float[]) source.array();
    int s0 = source.offset();
    ctx.parallel().forRange(planes, (long) oh * ow * kh * kw, (from, to) -> {
      float[] acc = new float[ow];
      // Each input row's horizontal window maxima, kept while later output rows read them
      // (with dilation 1 down the rows, row iy lives in slot iy % kh: the kh rows of a window
      // are consecutive, so they never share a slot).
      float[][] rows = new float[kh][ow];
      int[] held = new int[kh];
      float[] sliding = new float[Math.max(0, slide)];
      for (int c = from; c < to; c++) {
        int base = x0 + c * ih * iw;
        Arrays.fill(held, -1);
        for (int oy = 0; oy < oh; oy++) {
          Arrays.fill(acc, Float.NEGATIVE_INFINITY);
          for (int a = 0; a < kh; a++) {
            int iy = oy * sh - ph + a * dh;
            if (iy < 0 || iy >= ih) {
              continue;
            }
            int slot = dh == 1 ? iy % kh : a;
            if (dh != 1 || held[slot] != iy) {
              rowMaxima(v, base + iy * iw, iw, kw, dw, sw, pw, lo, hi, sliding, rows[slot]);
              held[slot] = dh == 1 ? iy : -1;
            }
            RowMax.maxInto(acc, 0, rows[slot], 0, ow);
          }
          for (int ox = 0; ox < ow; ox++) {
            if (acc[ox] != acc[ox]) {
              acc[ox] = firstThenGreater(sv, s0 + c * ih * iw, ih, iw,
                  (int) (oy * full.strides[0] - full.padBegin[0]),
                  (int) (ox * full.strides[1] - full.padBegin[1]), (int) full.kernel[0],
                  (int) full.kernel[1], (int) full.dilations[0], (int) full.dilations[1]);
            }
          }
          int plane = channels == outChannels ? c
              : c / channels * outChannels + c0 + c % channels;
          System.arraycopy(acc, 0, y, y0 + plane * oh * ow + oy * ow, ow);
        }
      }
    });
  }

  /**
   * One input row's horizontal window maxima, {@code h[ox]} the maximum of the row's taps under
   * output column {@code ox}'s window ({@code -inf} where none lies inside the row). The columns
   * {@code [lo, hi)} read the sliding maxima {@code max_b v[i + b*dw]}, computed once per row
   * with vectorizable loops; the rest take their taps one by one. Math.max over the same taps in
   * any order gives the same float (NaN aside, which the caller redoes).
   */
  private static void rowMaxima(float[] v, int row, int iw, int kw, int dw, int sw, int pw,
      int lo, int hi, float[] sliding, float[] h) {
    if (hi > lo) {
      int n = sliding.length;
      System.arraycopy(v, row, sliding, 0, n);
      for (int b = 1; b < kw; b++) {
        RowMax.maxInto(sliding, 0, v, row + b * dw, n);
      }
      if (sw == 1) {
        System.arraycopy(sliding, lo - pw, h, lo, hi - lo);
      } else {
        for (int ox = lo; ox < hi; ox++) {
          h[ox] = sliding[ox * sw - pw];
        }
      }
    }
    for (int ox = 0; ox < lo; ox++) {
      h[ox] = edgeMaximum(v, row, iw, kw, dw, ox * sw - pw);
    }
    for (int ox = hi; ox < h.length; ox++) {
      h[ox] = edgeMaximum(v, row, iw, kw, dw, ox * sw - pw);
    }
  }

  /** The maximum of a window row's taps from {@code start} that lie inside the row, or -inf. */
  private static float edgeMaximum(float[] v, int row, int iw, int kw, int dw, int start) {
    float m = Float.NEGATIVE_INFINITY;
    for (int b = 0; b < kw; b++) {
      int ix = start + b * dw;
      if (ix >= 0 && ix < iw) {
        m = Math.max(m, v[row + ix]);
      }
    }
    return m;
  }

  /** One window's maximum exactly as the general path takes it (NaN handling included). */
  private static float firstThenGreater(float[] v, int base, int ih, int iw, int y0, int x0,
      int kh, int kw, int dh, int dw) {
    float acc = Float.NEGATIVE_INFINITY;
    boolean first = true;
    for (int a = 0; a < kh; a++) {
      int iy = y0 + a * dh;
      if (iy < 0 || iy >= ih) {
        continue;
      }
      for (int b = 0; b < kw; b++) {
        int ix = x0 + b * dw;
        if (ix < 0 || ix >= iw) {
          continue;
        }
        float e = v[base + iy * iw + ix];
        if (first || e > acc) {
          acc = e;
          first = false;
        }
      }
    }
    return acc;
  }

  private static NdArray global(KernelContext ctx, Mode mode, double p) {
    NdArray x = ctx.tensor(0);
    if (!x.dtype().isFloatingPoint()) {
      throw ctx.unsupportedType(x.dtype());
    }
    if (x.rank() < 2) {
      throw ctx.error("input must have rank at least 2, has shape " + x.shape());
    }
    long[] dims = x.dims();
    int planes = (int) (dims[0] * dims[1]);
    int plane = planes == 0 ? 0 : x.size() / planes;
    long[] outDims = dims.clone();
    for (int i = 2; i < outDims.length; i++) {
      outDims[i] = 1;
    }
    if (mode == Mode.AVERAGE && x.dtype() == DType.FLOAT) {
      // The same double sum as below, read straight from the float storage (views included).
      float[] f = (float[]) x.array();
      int x0 = x.offset();
      NdArray result = ctx.output(0, DType.FLOAT, outDims);
      float[] out = (float[]) result.array();
      int y0 = result.offset();
      ctx.parallel().forRange(planes, plane, (from, to) -> {
        for (int c = from; c < to; c++) {
          double acc = 0;
          for (int i = x0 + c * plane; i < x0 + (c + 1) * plane; i++) {
            acc += f[i];
          }
          out[y0 + c] = (float) (acc / plane);
        }
      });
      return result;
    }
    double[] v = x.toDoubles();
    double[] y = new double[planes];
    for (int c = 0; c < planes; c++) {
      int base = c * plane;
      double acc = mode == Mode.MAX ? Double.NEGATIVE_INFINITY : 0;
      for (int i = 0; i < plane; i++) {
        double e = v[base + i];
        acc = switch (mode) {
          case MAX -> Math.max(acc, e);
          case AVERAGE -> acc + e;
          case LP -> acc + Math.pow(Math.abs(e), p);
        };
      }
      y[c] = switch (mode) {
        case MAX -> acc;
        case AVERAGE -> acc / plane;
        case LP -> Math.pow(acc, 1 / p);
      };
    }
    return NdArray.fromDoubles(x.dtype(), outDims, y);
  }

  // ---- MaxUnpool ----

  private static long[] unpoolDims(NodeContext ctx, long[] xDims) {
    int k = xDims.length - 2;
    long[] kernel = ctx.attrLongs("kernel_shape");
    long[] strides = orOnes(ctx.attrLongs("strides"), k, ctx, "strides");
    long[] pads = ctx.attrLongs("pads");
    if (pads == null) {
      pads = new long[2 * k];
    }
    long[] out = xDims.clone();
    for (int i = 0; i < k; i++) {
      out[i + 2] = (xDims[i + 2] - 1) * strides[i] + kernel[i] - pads[i] - pads[i + k];
    }
    return out;
  }

  private static List<ValueType> unpoolShape(InferenceContext ctx) {
    DType dt = ctx.dtype(0);
    if (ctx.hasInput(2)) {
      long[] shape = ctx.constantLongs(2);
      return ShapeFns.tensor(dt, shape == null ? Shape.unknownRank() : Shape.of(shape));
    }
    Shape s = ctx.shape(0);
    if (!s.isStatic()) {
      return ShapeFns.tensor(dt, s.hasRank() ? ShapeFns.unknownDims(s.rank()) : s);
    }
    return ShapeFns.tensor(dt, Shape.of(unpoolDims(ctx, s.sizes())));
  }

  private static NdArray maxUnpool(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    NdArray ind = ctx.tensor(1);
    long[] outDims = ctx.hasInput(2) ? ctx.longs(2) : unpoolDims(ctx, x.dims());
    NdArray y = NdArray.allocate(x.dtype(), outDims);
    long[] at = ind.toLongs();
    int n = y.size();
    // Indices address the output computed from kernel, strides and pads; a different requested
    // output_shape places each value at the same spatial coordinates of its plane.
    long[] inferred = unpoolDims(ctx, x.dims());
    boolean remap = !Arrays.equals(inferred, outDims);
    if (remap && outDims.length != inferred.length) {
      throw ctx.error("output_shape " + Shape.toString(outDims) + " must have rank "
          + inferred.length);
    }
    int[] fromStrides = Broadcast.strides(inferred);
    int[] toStrides = Broadcast.strides(outDims);
    for (int i = 0; i < at.length; i++) {
      long pos = at[i];
      if (remap) {
        long rem = pos;
        pos = 0;
        for (int d = 0; d < inferred.length; d++) {
          pos += rem / fromStrides[d] * toStrides[d];
          rem %= fromStrides[d];
        }
      }
      if (pos < 0 || pos >= n) {
        throw ctx.error("index " + at[i] + " is outside the output of shape "
            + Shape.toString(outDims));
      }
      y.setDouble((int) pos, x.getDouble(i));
    }
    return y;
  }
}
