package dev.convoy.ir.ops.family;

import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.Broadcast;
import dev.convoy.ir.ops.InferenceContext;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.Kernels;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.RuntimeValue;
import dev.convoy.ir.ops.ShapeFns;
import dev.convoy.ir.ops.runtime.Parallel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Normalizations and softmaxes: BatchNormalization (inference and training mode),
 * InstanceNormalization, LayerNormalization, GroupNormalization, MeanVarianceNormalization,
 * LpNormalization, Softmax, LogSoftmax and Hardmax (with the pre-13 "flatten to 2-D at axis"
 * semantics). Statistics accumulate in double and results round to the input's float type.
 */
public final class Normalization implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    r.op("BatchNormalization", 7).inputs(5).outputs(1, 3).attr("epsilon", 1e-5f)
        .attr("momentum", 0.9f).attr("training_mode", 0L).optionalAttr("spatial")
        .shape(Normalization::batchNormShape).kernel(Normalization::batchNorm);
    r.op("InstanceNormalization", 6).inputs(3).attr("epsilon", 1e-5f)
        .shape(ShapeFns.sameAsInput(0)).kernel(Normalization::instanceNorm);
    r.op("LayerNormalization", 17).inputs(2, 3).outputs(1, 3).attr("axis", -1L)
        .attr("epsilon", 1e-5f).attr("stash_type", 1L)
        .shape(Normalization::layerNormShape).kernel(Normalization::layerNorm);
    r.op("RMSNormalization", 23).inputs(2).attr("axis", -1L).attr("epsilon", 1e-5f)
        .attr("stash_type", 1L).shape(ShapeFns.sameAsInput(0))
        .kernel(Normalization::rmsNorm);
    r.op("LRN", 1).attr("alpha", 1e-4f).attr("beta", 0.75f).attr("bias", 1.0f)
        .requiredAttr("size").shape(ShapeFns.sameAsInput(0)).kernel(Normalization::lrn);
    r.op("GroupNormalization", 18).inputs(3).requiredAttr("num_groups").attr("epsilon", 1e-5f)
        .attr("stash_type", 1L).shape(ShapeFns.sameAsInput(0))
        .kernel(ctx -> groupNorm(ctx, false));
    r.op("GroupNormalization", 21).inputs(3).requiredAttr("num_groups").attr("epsilon", 1e-5f)
        .attr("stash_type", 1L).shape(ShapeFns.sameAsInput(0))
        .kernel(ctx -> groupNorm(ctx, true));
    r.op("MeanVarianceNormalization", 9).attr("axes", new long[] {0, 2, 3})
        .shape(ShapeFns.sameAsInput(0)).kernel(Normalization::meanVarianceNorm);
    r.op("LpNormalization", 1).attr("axis", -1L).attr("p", 2L)
        .shape(ShapeFns.sameAsInput(0)).kernel(Normalization::lpNorm);
    for (String op : List.of("Softmax", "LogSoftmax", "Hardmax")) {
      r.op(op, 1).attr("axis", 1L).shape(ShapeFns.sameAsInput(0))
          .kernel(ctx -> softmax(ctx, op, true));
      r.op(op, 13).attr("axis", -1L).shape(ShapeFns.sameAsInput(0))
          .kernel(ctx -> softmax(ctx, op, false));
    }
  }

  private static NdArray floatInput(KernelContext ctx, int i) {
    NdArray x = ctx.tensor(i);
    if (!x.dtype().isFloatingPoint()) {
      throw new UnsupportedOpException(ctx.where() + ": element type " + x.dtype().textName()
          + " of input " + i + " is not supported");
    }
    return x;
  }

  // ---- BatchNormalization ----

  private static List<ValueType> batchNormShape(InferenceContext ctx) {
    DType t = ctx.dtype(0);
    if (t == null) {
      return null;
    }
    List<ValueType> out = new ArrayList<>();
    out.add(new ValueType.TensorType(t, ctx.shape(0)));
    Shape x = ctx.shape(0);
    Shape c = x.hasRank() && x.rank() > 1 ? Shape.of(x.dim(1)) : Shape.of(Dim.UNKNOWN);
    for (int k = 1; k < ctx.outputCount(); k++) {
      out.add(new ValueType.TensorType(ctx.dtype(3) != null ? ctx.dtype(3) : t, c));
    }
    return out;
  }

  private static List<RuntimeValue> batchNorm(KernelContext ctx) {
    NdArray x = floatInput(ctx, 0);
    long[] d = x.dims();
    if (d.length < 2) {
      throw ctx.error("input must be [N, C, ...], got " + x.describe());
    }
    int c = (int) d[1];
    int n = (int) d[0];
    int inner = (int) Shape.product(d, 2, d.length);
    double[] scale = ctx.tensor(1).toDoubles();
    double[] bias = ctx.tensor(2).toDoubles();
    double[] mean = ctx.tensor(3).toDoubles();
    double[] var = ctx.tensor(4).toDoubles();
    for (int i = 1; i <= 4; i++) {
      if (ctx.tensor(i).size() != c) {
        throw ctx.error("input " + i + " must have " + c + " elements, is "
            + ctx.tensor(i).describe());
      }
    }
    double eps = ctx.attrFloat("epsilon");
    boolean training = ctx.attrLong("training_mode") != 0;
    if (!training && x.dtype() == DType.FLOAT) {
      return inferenceBatchNormFloat(ctx, x, n, c, inner, scale, bias, mean, var, eps);
    }
    double[] xs = x.toDoubles();
    double[] useMean = mean;
    double[] useVar = var;
    List<RuntimeValue> out = new ArrayList<>();
    if (training) {
      useMean = new double[c];
      useVar = new double[c];
      double count = (double) n * inner;
      for (int ch = 0; ch < c; ch++) {
        double s = 0;
        for (int img = 0; img < n; img++) {
          int off = (img * c + ch) * inner;
          for (int i = 0; i < inner; i++) {
            s += xs[off + i];
          }
        }
        double mu = s / count;
        double v = 0;
        for (int img = 0; img < n; img++) {
          int off = (img * c + ch) * inner;
          for (int i = 0; i < inner; i++) {
            double dv = xs[off + i] - mu;
            v += dv * dv;
          }
        }
        useMean[ch] = mu;
        useVar[ch] = v / count;
      }
    }
    double[] y = new double[xs.length];
    for (int img = 0; img < n; img++) {
      for (int ch = 0; ch < c; ch++) {
        double k = scale[ch] / Math.sqrt(useVar[ch] + eps);
        double b = bias[ch] - useMean[ch] * k;
        int off = (img * c + ch) * inner;
        for (int i = 0; i < inner; i++) {
          y[off + i] = xs[off + i] * k + b;
        }
      }
    }
    out.add(NdArray.fromDoubles(x.dtype(), d, y));
    if (training) {
      double mom = ctx.attrFloat("momentum");
      double[] rm = new double[c];
      double[] rv = new double[c];
      for (int ch = 0; ch < c; ch++) {
        rm[ch] = mean[ch] * mom + useMean[ch] * (1 - mom);
        rv[ch] = var[ch] * mom + useVar[ch] * (1 - mom);
      }
      DType st = ctx.tensor(3).dtype();
      out.add(NdArray.fromDoubles(st, new long[] {c}, rm));
      out.add(NdArray.fromDoubles(st, new long[] {c}, rv));
    }
    while (out.size() < ctx.outputCount()) {
      out.add(null);
    }
    if (!training) {
      for (int k = 1; k < ctx.outputCount(); k++) {
        if (ctx.hasOutput(k)) {
          throw ctx.error("outputs beyond Y are only produced in training mode");
        }
      }
    }
    return out;
  }

  /**
   * Inference-mode BatchNormalization of a float32 tensor: the same double-precision formula
   * as the general path, read from and rounded into float arrays directly (no double copies),
   * with channels split over the pool.
   */
  private static List<RuntimeValue> inferenceBatchNormFloat(KernelContext ctx, NdArray x, int n,
      int c, int inner, double[] scale, double[] bias, double[] mean, double[] var, double eps) {
    for (int k = 1; k < ctx.outputCount(); k++) {
      if (ctx.hasOutput(k)) {
        throw ctx.error("outputs beyond Y are only produced in training mode");
      }
    }
    // Read and written where they lie (arena views included).
    NdArray result = ctx.output(0, DType.FLOAT, x.dims());
    float[] xs = (float[]) x.array();
    float[] y = (float[]) result.array();
    int x0 = x.offset();
    int y0 = result.offset();
    ctx.parallel().forRange(n * c, inner, (from, to) -> {
      for (int t = from; t < to; t++) {
        int ch = t % c;
        double k = scale[ch] / Math.sqrt(var[ch] + eps);
        double b = bias[ch] - mean[ch] * k;
        int xo = x0 + t * inner;
        int yo = y0 + t * inner;
        for (int i = 0; i < inner; i++) {
          y[yo + i] = (float) (xs[xo + i] * k + b);
        }
      }
    });
    List<RuntimeValue> out = new ArrayList<>();
    out.add(result);
    while (out.size() < ctx.outputCount()) {
      out.add(null);
    }
    return out;
  }

  // ---- InstanceNormalization / GroupNormalization / MVN ----

  private static List<RuntimeValue> instanceNorm(KernelContext ctx) {
    NdArray x = floatInput(ctx, 0);
    long[] d = x.dims();
    if (d.length < 3) {
      throw ctx.error("input must be [N, C, spatial...], got " + x.describe());
    }
    int n = (int) d[0];
    int c = (int) d[1];
    int inner = (int) Shape.product(d, 2, d.length);
    double[] scale = ctx.tensor(1).toDoubles();
    double[] bias = ctx.tensor(2).toDoubles();
    double eps = ctx.attrFloat("epsilon");
    double[] xs = x.toDoubles();
    double[] y = new double[xs.length];
    for (int img = 0; img < n; img++) {
      for (int ch = 0; ch < c; ch++) {
        int off = (img * c + ch) * inner;
        normalizeSpan(xs, y, off, inner, eps, scale[ch], bias[ch]);
      }
    }
    return Kernels.one(NdArray.fromDoubles(x.dtype(), d, y));
  }

  /** y[off..off+len) = (x - mean) / sqrt(var + eps) * s + b. */
  private static void normalizeSpan(double[] x, double[] y, int off, int len, double eps,
      double s, double b) {
    double sum = 0;
    for (int i = 0; i < len; i++) {
      sum += x[off + i];
    }
    double mu = sum / len;
    double v = 0;
    for (int i = 0; i < len; i++) {
      double dv = x[off + i] - mu;
      v += dv * dv;
    }
    double inv = 1 / Math.sqrt(v / len + eps);
    for (int i = 0; i < len; i++) {
      y[off + i] = (x[off + i] - mu) * inv * s + b;
    }
  }

  private static List<RuntimeValue> groupNorm(KernelContext ctx, boolean perChannel) {
    NdArray x = floatInput(ctx, 0);
    long[] d = x.dims();
    int groups = ctx.attrInt("num_groups");
    if (d.length < 2 || groups <= 0 || d[1] % groups != 0) {
      throw ctx.error("channels of " + x.describe() + " do not divide into " + groups
          + " groups");
    }
    int n = (int) d[0];
    int c = (int) d[1];
    int cg = c / groups;
    int inner = (int) Shape.product(d, 2, d.length);
    double[] scale = ctx.tensor(1).toDoubles();
    double[] bias = ctx.tensor(2).toDoubles();
    double eps = ctx.attrFloat("epsilon");
    double[] xs = x.toDoubles();
    double[] y = new double[xs.length];
    for (int img = 0; img < n; img++) {
      for (int g = 0; g < groups; g++) {
        int off = (img * c + g * cg) * inner;
        int len = cg * inner;
        normalizeSpan(xs, y, off, len, eps, 1, 0);
        for (int ch = 0; ch < cg; ch++) {
          int idx = perChannel ? g * cg + ch : g;
          for (int i = 0; i < inner; i++) {
            int p = off + ch * inner + i;
            y[p] = y[p] * scale[idx] + bias[idx];
          }
        }
      }
    }
    return Kernels.one(NdArray.fromDoubles(x.dtype(), d, y));
  }

  private static List<RuntimeValue> meanVarianceNorm(KernelContext ctx) {
    NdArray x = floatInput(ctx, 0);
    long[] d = x.dims();
    boolean[] reduced = new boolean[d.length];
    for (long a : ctx.attrLongs("axes")) {
      reduced[ctx.axis(a, d.length)] = true;
    }
    long[] kept = d.clone();
    for (int i = 0; i < d.length; i++) {
      if (reduced[i]) {
        kept[i] = 1;
      }
    }
    int[] map = Broadcast.indexMap(kept, d);
    int groups = (int) Shape.product(kept);
    double[] xs = x.toDoubles();
    double[] sum = new double[groups];
    int[] count = new int[groups];
    for (int i = 0; i < xs.length; i++) {
      sum[map[i]] += xs[i];
      count[map[i]]++;
    }
    double[] mean = new double[groups];
    for (int g = 0; g < groups; g++) {
      mean[g] = sum[g] / Math.max(1, count[g]);
    }
    double[] var = new double[groups];
    for (int i = 0; i < xs.length; i++) {
      double dv = xs[i] - mean[map[i]];
      var[map[i]] += dv * dv;
    }
    double[] y = new double[xs.length];
    for (int i = 0; i < xs.length; i++) {
      int g = map[i];
      y[i] = (xs[i] - mean[g]) / (Math.sqrt(var[g] / count[g]) + 1e-9);
    }
    return Kernels.one(NdArray.fromDoubles(x.dtype(), d, y));
  }

  // ---- LayerNormalization ----

  private static List<ValueType> layerNormShape(InferenceContext ctx) {
    DType t = ctx.dtype(0);
    if (t == null) {
      return null;
    }
    Shape x = ctx.shape(0);
    List<ValueType> out = new ArrayList<>();
    out.add(new ValueType.TensorType(t, x));
    Shape stat = Shape.unknownRank();
    if (x.hasRank()) {
      int axis = ctx.axis(ctx.attrLong("axis"), x.rank());
      List<Dim> dims = new ArrayList<>(x.dims());
      for (int i = axis; i < dims.size(); i++) {
        dims.set(i, Dim.of(1));
      }
      stat = Shape.of(dims);
    }
    DType statType = ctx.attrLong("stash_type") == 1 ? DType.FLOAT : t;
    for (int k = 1; k < ctx.outputCount(); k++) {
      out.add(new ValueType.TensorType(statType, stat));
    }
    return out;
  }

  private static List<RuntimeValue> layerNorm(KernelContext ctx) {
    NdArray x = floatInput(ctx, 0);
    long[] d = x.dims();
    int axis = ctx.axis(ctx.attrLong("axis"), d.length);
    int outer = (int) Shape.product(d, 0, axis);
    int len = (int) Shape.product(d, axis, d.length);
    long[] normDims = Arrays.copyOfRange(d, axis, d.length);
    double[] scale = spread(ctx, ctx.tensor(1), normDims);
    NdArray b = ctx.optionalTensor(2);
    double[] bias = b == null ? null : spread(ctx, b, normDims);
    double eps = ctx.attrFloat("epsilon");
    double[] mean = new double[outer];
    double[] inv = new double[outer];
    if (x.dtype() == DType.FLOAT) {
      // Read and written where they lie (arena views included), with the double math below.
      NdArray y = ctx.output(0, DType.FLOAT, d);
      layerNormRows((float[]) x.array(), x.offset(), (float[]) y.array(), y.offset(), outer, len,
          scale, bias, eps, mean, inv, ctx.parallel());
      return withStats(ctx, y, d, axis, mean, inv);
    }
    double[] xs = x.toDoubles();
    double[] y = new double[xs.length];
    for (int o = 0; o < outer; o++) {
      int off = o * len;
      double s = 0;
      for (int i = 0; i < len; i++) {
        s += xs[off + i];
      }
      double mu = s / len;
      double v = 0;
      for (int i = 0; i < len; i++) {
        double dv = xs[off + i] - mu;
        v += dv * dv;
      }
      double iv = 1 / Math.sqrt(v / len + eps);
      mean[o] = mu;
      inv[o] = iv;
      for (int i = 0; i < len; i++) {
        double t = (xs[off + i] - mu) * iv * scale[i];
        y[off + i] = bias == null ? t : t + bias[i];
      }
    }
    return withStats(ctx, NdArray.fromDoubles(x.dtype(), d, y), d, axis, mean, inv);
  }

  /**
   * LayerNormalization of {@code rows} rows of {@code len} float32 elements, {@code x} at
   * {@code x0} into {@code y} at {@code y0} ({@code y} may be {@code x} itself: each row is read
   * before it is written): in double, mean then variance then {@code (x - mean) * inv * scale
   * (+ bias)} rounded once, as the general kernel computes it, the sums in four interleaved
   * partial sums (which move a double's last bits, far below float32's rounding). Rows are
   * independent chunks of the pool; {@code mean} and {@code inv} receive each row's statistics.
   */
  static void layerNormRows(float[] x, int x0, float[] y, int y0, int rows, int len,
      double[] scale, double[] bias, double eps, double[] mean, double[] inv, Parallel par) {
    par.forRange(rows, 8L * len, (from, to) -> {
      for (int o = from; o < to; o++) {
        int xo = x0 + o * len;
        int yo = y0 + o * len;
        // Four partial sums each: one chain of dependent double adds was most of the kernel.
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = 0;
        for (; i + 4 <= len; i += 4) {
          s0 += x[xo + i];
          s1 += x[xo + i + 1];
          s2 += x[xo + i + 2];
          s3 += x[xo + i + 3];
        }
        for (; i < len; i++) {
          s0 += x[xo + i];
        }
        double mu = ((s0 + s1) + (s2 + s3)) / len;
        double v0 = 0;
        double v1 = 0;
        double v2 = 0;
        double v3 = 0;
        i = 0;
        for (; i + 4 <= len; i += 4) {
          double d0 = x[xo + i] - mu;
          double d1 = x[xo + i + 1] - mu;
          double d2 = x[xo + i + 2] - mu;
          double d3 = x[xo + i + 3] - mu;
          v0 += d0 * d0;
          v1 += d1 * d1;
          v2 += d2 * d2;
          v3 += d3 * d3;
        }
        for (; i < len; i++) {
          double d0 = x[xo + i] - mu;
          v0 += d0 * d0;
        }
        double iv = 1 / Math.sqrt(((v0 + v1) + (v2 + v3)) / len + eps);
        mean[o] = mu;
        inv[o] = iv;
        if (bias == null) {
          for (i = 0; i < len; i++) {
            y[yo + i] = (float) ((x[xo + i] - mu) * iv * scale[i]);
          }
        } else {
          for (i = 0; i < len; i++) {
            y[yo + i] = (float) ((x[xo + i] - mu) * iv * scale[i] + bias[i]);
          }
        }
      }
    });
  }

  /** {@code y} and, where the node has them, the mean and inverse deviation outputs. */
  private static List<RuntimeValue> withStats(KernelContext ctx, NdArray y, long[] d, int axis,
      double[] mean, double[] inv) {
    List<RuntimeValue> out = new ArrayList<>();
    out.add(y);
    long[] statDims = d.clone();
    for (int i = axis; i < d.length; i++) {
      statDims[i] = 1;
    }
    DType st = ctx.attrLong("stash_type") == 1 ? DType.FLOAT : y.dtype();
    if (ctx.outputCount() > 1) {
      out.add(NdArray.fromDoubles(st, statDims, mean));
    }
    if (ctx.outputCount() > 2) {
      out.add(NdArray.fromDoubles(st, statDims, inv));
    }
    return out;
  }

  private static List<RuntimeValue> rmsNorm(KernelContext ctx) {
    NdArray x = floatInput(ctx, 0);
    long[] d = x.dims();
    int axis = ctx.axis(ctx.attrLong("axis"), d.length);
    int outer = (int) Shape.product(d, 0, axis);
    int len = (int) Shape.product(d, axis, d.length);
    double[] scale = spread(ctx, ctx.tensor(1), Arrays.copyOfRange(d, axis, d.length));
    double eps = ctx.attrFloat("epsilon");
    double[] xs = x.toDoubles();
    double[] y = new double[xs.length];
    for (int o = 0; o < outer; o++) {
      int off = o * len;
      double ss = 0;
      for (int i = 0; i < len; i++) {
        ss += xs[off + i] * xs[off + i];
      }
      double inv = 1 / Math.sqrt(ss / len + eps);
      for (int i = 0; i < len; i++) {
        y[off + i] = xs[off + i] * inv * scale[i];
      }
    }
    return Kernels.one(NdArray.fromDoubles(x.dtype(), d, y));
  }

  /** Local response normalization across channels: window [c - (size-1)/2, c + size/2]. */
  private static List<RuntimeValue> lrn(KernelContext ctx) {
    NdArray x = floatInput(ctx, 0);
    long[] d = x.dims();
    if (d.length < 3) {
      throw ctx.error("input must be [N, C, spatial...], got " + x.describe());
    }
    int n = (int) d[0];
    int c = (int) d[1];
    int inner = (int) Shape.product(d, 2, d.length);
    int size = ctx.attrInt("size");
    double alpha = ctx.attrFloat("alpha");
    double beta = ctx.attrFloat("beta");
    double bias = ctx.attrFloat("bias");
    int lo = (size - 1) / 2;
    int hi = size - 1 - lo;
    boolean f32 = x.dtype() == DType.FLOAT;
    // Float32 is read where it lies and written into the kernel's output (arena views included).
    float[] xf = f32 ? (float[]) x.array() : null;
    double[] xd = f32 ? null : x.toDoubles();
    int x0 = f32 ? x.offset() : 0;
    NdArray out = f32 ? ctx.output(0, DType.FLOAT, d) : null;
    float[] yf = f32 ? (float[]) out.array() : null;
    double[] yd = f32 ? null : new double[xd.length];
    int y0 = f32 ? out.offset() : 0;
    // Each (image, channel) plane is written by one chunk: its window's squares summed plane by
    // plane (each position's sum in channel order from zero, as NhwcLRN adds them), then scaled.
    ctx.parallel().forRange(n * c, (long) inner * (size + 8), (first, last) -> {
      double[] ss = new double[inner];
      for (int t = first; t < last; t++) {
        int img = t / c;
        int ch = t % c;
        Arrays.fill(ss, 0);
        for (int cc = Math.max(0, ch - lo); cc <= Math.min(c - 1, ch + hi); cc++) {
          int src = x0 + (img * c + cc) * inner;
          if (f32) {
            for (int i = 0; i < inner; i++) {
              double v = xf[src + i];
              ss[i] += v * v;
            }
          } else {
            for (int i = 0; i < inner; i++) {
              double v = xd[src + i];
              ss[i] += v * v;
            }
          }
        }
        int p = (img * c + ch) * inner;
        for (int i = 0; i < inner; i++) {
          double v = (f32 ? xf[x0 + p + i] : xd[p + i]) / lrnPower(bias + alpha / size * ss[i],
              beta);
          if (f32) {
            yf[y0 + p + i] = (float) v;
          } else {
            yd[p + i] = v;
          }
        }
      }
    });
    return Kernels.one(f32 ? out : NdArray.fromDoubles(x.dtype(), d, yd));
  }

  /**
   * {@code t^beta} as both LRN kernels ({@code LRN} and {@code NhwcLRN}) compute it, so the two
   * layouts give the same floats: for beta 0.75 (AlexNet's and GoogLeNet's, every LRN model's)
   * as {@code sqrt(t) * sqrt(sqrt(t))}, within two ulps of double of {@link Math#pow} and several
   * times faster (pow was a third of light_inception_v1's evaluator time).
   */
  static double lrnPower(double t, double beta) {
    if (beta == 0.75) {
      double r = Math.sqrt(t);
      return r * Math.sqrt(r);
    }
    return Math.pow(t, beta);
  }

  /** A scale or bias broadcast (unidirectionally) to the normalized dims, as doubles. */
  private static double[] spread(KernelContext ctx, NdArray v, long[] dims) {
    if (Arrays.equals(v.dims(), dims)) {
      return v.toDoubles();
    }
    long[] b;
    try {
      b = Broadcast.shape(v.dims(), dims);
    } catch (dev.convoy.ir.ConvoyException e) {
      throw ctx.error(v.describe() + " does not broadcast to " + Shape.toString(dims));
    }
    if (!Arrays.equals(b, dims)) {
      throw ctx.error(v.describe() + " does not broadcast to " + Shape.toString(dims));
    }
    int[] map = Broadcast.indexMap(v.dims(), dims);
    double[] src = v.toDoubles();
    double[] out = new double[map.length];
    for (int i = 0; i < map.length; i++) {
      out[i] = src[map[i]];
    }
    return out;
  }

  // ---- LpNormalization ----

  private static List<RuntimeValue> lpNorm(KernelContext ctx) {
    NdArray x = floatInput(ctx, 0);
    long[] d = x.dims();
    int axis = ctx.axis(ctx.attrLong("axis"), d.length);
    long p = ctx.attrLong("p");
    if (p != 1 && p != 2) {
      throw ctx.error("p must be 1 or 2, is " + p);
    }
    int outer = (int) Shape.product(d, 0, axis);
    int n = (int) d[axis];
    int inner = (int) Shape.product(d, axis + 1, d.length);
    double[] xs = x.toDoubles();
    double[] y = new double[xs.length];
    for (int o = 0; o < outer; o++) {
      for (int in = 0; in < inner; in++) {
        int base = o * n * inner + in;
        double norm = 0;
        for (int i = 0; i < n; i++) {
          double v = xs[base + i * inner];
          norm += p == 1 ? Math.abs(v) : v * v;
        }
        if (p == 2) {
          norm = Math.sqrt(norm);
        }
        for (int i = 0; i < n; i++) {
          y[base + i * inner] = norm == 0 ? 0 : xs[base + i * inner] / norm;
        }
      }
    }
    return Kernels.one(NdArray.fromDoubles(x.dtype(), d, y));
  }

  // ---- Softmax family ----

  private static List<RuntimeValue> softmax(KernelContext ctx, String op, boolean flatten) {
    NdArray x = floatInput(ctx, 0);
    long[] d = x.dims();
    if (d.length == 0) {
      throw ctx.error(op + " needs rank >= 1");
    }
    int axis = ctx.axis(ctx.attrLong("axis"), d.length);
    int outer = (int) Shape.product(d, 0, axis);
    int n;
    int inner;
    if (flatten) {
      n = (int) Shape.product(d, axis, d.length);
      inner = 1;
    } else {
      n = (int) d[axis];
      inner = (int) Shape.product(d, axis + 1, d.length);
    }
    if (x.dtype() == DType.FLOAT && inner == 1 && !op.equals("Hardmax")) {
      return Kernels.one(floatSoftmax(ctx, x, outer, n, op.equals("LogSoftmax")));
    }
    double[] xs = x.toDoubles();
    double[] y = new double[xs.length];
    for (int o = 0; o < outer; o++) {
      for (int in = 0; in < inner; in++) {
        int base = o * n * inner + in;
        double max = Double.NEGATIVE_INFINITY;
        int arg = 0;
        for (int i = 0; i < n; i++) {
          double v = xs[base + i * inner];
          if (v > max) {
            max = v;
            arg = i;
          }
        }
        switch (op) {
          case "Hardmax" -> {
            for (int i = 0; i < n; i++) {
              y[base + i * inner] = i == arg ? 1 : 0;
            }
          }
          default -> {
            double sum = 0;
            for (int i = 0; i < n; i++) {
              sum += Math.exp(xs[base + i * inner] - max);
            }
            double logSum = Math.log(sum);
            for (int i = 0; i < n; i++) {
              double shifted = xs[base + i * inner] - max;
              y[base + i * inner] = op.equals("Softmax") ? Math.exp(shifted) / sum
                  : shifted - logSum;
            }
          }
        }
      }
    }
    return Kernels.one(NdArray.fromDoubles(x.dtype(), d, y));
  }

  /**
   * Softmax or LogSoftmax over contiguous rows of a float32 tensor, read where it lies and written
   * into the kernel's output: the general path's double formula (max, sum of exp of the shifted
   * values, then exp / sum or shifted - log sum) rounded once, rows split over the pool.
   */
  private static NdArray floatSoftmax(KernelContext ctx, NdArray x, int rows, int n,
      boolean log) {
    NdArray out = ctx.output(0, DType.FLOAT, x.dims());
    float[] xs = (float[]) x.array();
    float[] y = (float[]) out.array();
    int x0 = x.offset();
    int y0 = out.offset();
    ctx.parallel().forRange(rows, 40L * n, (from, to) -> {
      double[] e = new double[n];
      for (int o = from; o < to; o++) {
        int xb = x0 + o * n;
        int yb = y0 + o * n;
        // Compare-and-take as the general path does: a NaN never becomes the max.
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
          if (xs[xb + i] > max) {
            max = xs[xb + i];
          }
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
          e[i] = Math.exp(xs[xb + i] - max);
          sum += e[i];
        }
        if (log) {
          double logSum = Math.log(sum);
          for (int i = 0; i < n; i++) {
            y[yb + i] = (float) (xs[xb + i] - max - logSum);
          }
        } else {
          for (int i = 0; i < n; i++) {
            y[yb + i] = (float) (e[i] / sum);
          }
        }
      }
    });
    return out;
  }
}
