package dev.convoy.ir.ops.family;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.InferenceContext;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.Kernels;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.OpDef;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.ShapeFns;
import dev.convoy.ir.ops.runtime.ChannelMax;
import dev.convoy.ir.ops.runtime.Parallel;
import dev.convoy.ir.ops.runtime.Scratch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Channels-last 2-D window ops of the {@code convoy} domain, which the {@code cvy} target's layout
 * pass writes, all on {@code [N, H, W, C]}: {@code NhwcMaxPool} and {@code NhwcAveragePool}
 * (the attributes of MaxPool without the indices output, and of AveragePool),
 * {@code NhwcGlobalAveragePool} and {@code NhwcGlobalMaxPool} ({@code [N, 1, 1, C]}), and {@code
 * NhwcLRN} (LRN's attributes, the window running over the last axis). Window geometry is
 * {@link Pooling}'s; every output pixel reduces whole channel vectors (max pooling on {@link
 * ChannelMax}, averages through zero-based copies, so the channel loop vectorizes). Each computes
 * what the standard op computes on the transposed data: max takes the first tap then any greater
 * one, sums run in double in the standard kernels' order. Float32 only.
 */
public final class NhwcPooling implements OpFamily {

  private enum Mode { MAX, AVERAGE }

  @Override
  public void register(OpRegistrar r) {
    String d = OpCatalog.CONVOY_DOMAIN;
    window(r.op(d, "NhwcMaxPool", 1)).kernel(ctx -> Kernels.one(pool(ctx, Mode.MAX)));
    window(r.op(d, "NhwcAveragePool", 1)).attr("count_include_pad", 0L)
        .kernel(ctx -> Kernels.one(pool(ctx, Mode.AVERAGE)));
    r.op(d, "NhwcGlobalAveragePool", 1).shape(NhwcPooling::globalShape)
        .kernel(ctx -> Kernels.one(global(ctx, Mode.AVERAGE)));
    r.op(d, "NhwcGlobalMaxPool", 1).shape(NhwcPooling::globalShape)
        .kernel(ctx -> Kernels.one(global(ctx, Mode.MAX)));
    r.op(d, "NhwcLRN", 1).attr("alpha", 1e-4f).attr("beta", 0.75f).attr("bias", 1.0f)
        .requiredAttr("size").shape(ShapeFns.sameAsInput(0))
        .kernel(ctx -> Kernels.one(lrn(ctx)));
  }

  private static OpDef.Builder window(OpDef.Builder b) {
    return b.requiredAttr("kernel_shape").attr("auto_pad", "NOTSET").optionalAttr("pads")
        .optionalAttr("strides").optionalAttr("dilations").attr("ceil_mode", 0L)
        .shape(NhwcPooling::poolShape);
  }

  private static List<ValueType> poolShape(InferenceContext ctx) {
    Shape s = ctx.shape(0);
    if (!s.hasRank()) {
      return ShapeFns.tensor(ctx.dtype(0), s);
    }
    requireRank4(ctx, s);
    long[] in = {staticOr(s.dim(1)), staticOr(s.dim(2))};
    Pooling.Geometry g = Pooling.geometry(ctx, in);
    List<Dim> dims = new ArrayList<>();
    dims.add(s.dim(0));
    for (long o : g.out()) {
      dims.add(o < 0 ? Dim.UNKNOWN : Dim.of(o));
    }
    dims.add(s.dim(3));
    return ShapeFns.tensor(ctx.dtype(0), Shape.of(dims));
  }

  private static List<ValueType> globalShape(InferenceContext ctx) {
    Shape s = ctx.shape(0);
    if (!s.hasRank()) {
      return ShapeFns.tensor(ctx.dtype(0), s);
    }
    requireRank4(ctx, s);
    return ShapeFns.tensor(ctx.dtype(0),
        Shape.of(List.of(s.dim(0), Dim.of(1), Dim.of(1), s.dim(3))));
  }

  private static void requireRank4(InferenceContext ctx, Shape s) {
    if (s.rank() != 4) {
      throw ctx.contradiction("input must be [N, H, W, C], got " + s);
    }
  }

  private static long staticOr(Dim d) {
    return d.isStatic() ? d.size() : -1;
  }

  /** The float32 input as {@code [N, H, W, C]} (the NHWC families' common check). */
  static NdArray input(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    if (x.dtype() != DType.FLOAT) {
      throw ctx.unsupportedType(x.dtype());
    }
    if (x.rank() != 4) {
      throw ctx.error("input must be [N, H, W, C], got " + x.describe());
    }
    return x;
  }

  private static NdArray pool(KernelContext ctx, Mode mode) {
    NdArray x = input(ctx);
    long[] d = x.dims();
    long[] in = {d[1], d[2]};
    Pooling.Geometry g = Pooling.geometry(ctx, in);
    long[] outDims = {d[0], g.out()[0], g.out()[1], d[3]};
    // Input and output are read and written where they lie (arena views included).
    NdArray out = ctx.output(0, DType.FLOAT, outDims);
    if (mode == Mode.MAX) {
      maxPool(x, g, out, ctx.parallel());
      return out;
    }
    boolean countPad = ctx.attrLong("count_include_pad") != 0;
    Pooling.Windows win = Pooling.windows(g, in, countPad);
    int n = (int) d[0];
    int c = (int) d[3];
    int inPlane = (int) (d[1] * d[2]);
    int outPlane = (int) (g.out()[0] * g.out()[1]);
    float[] xs = (float[]) x.array();
    int x0 = x.offset();
    float[] y = (float[]) out.array();
    int y0 = out.offset();
    ctx.parallel().forRange(n * outPlane, (long) c * 9, (from, to) -> {
      float[] tap = new float[c];
      double[] sum = new double[c];
      for (int t = from; t < to; t++) {
        int img = t / outPlane;
        int[] offs = win.offsets()[t % outPlane];
        int base = img * inPlane;
        Arrays.fill(sum, 0);
        for (int off : offs) {
          System.arraycopy(xs, x0 + (base + off) * c, tap, 0, c);
          sumInto(tap, sum, c);
        }
        double div = win.divisors()[t % outPlane];
        int dst = y0 + t * c;
        for (int j = 0; j < c; j++) {
          y[dst + j] = (float) (sum[j] / div);
        }
      }
    });
    return out;
  }

  /**
   * Max pooling on {@link ChannelMax}: per output pixel, the maximum of its window's channel
   * vectors; or, when the window has more taps than rows plus columns per output pixel (a large
   * stride-1 window, as in SPP blocks), in two passes: each input row's maximum over each output
   * column's window columns (from negative infinity), then each output pixel's maximum over its
   * window rows of those, with the window's first tap put back where it is NaN. That is the
   * one-pass value bit for bit: the first-then-greater rule keeps the first occurrence of the
   * maximum in row-major order, which the row maxima keep within a row and the second pass across
   * rows, and it ignores every NaN but the first tap.
   */
  private static void maxPool(NdArray x, Pooling.Geometry g, NdArray out, Parallel par) {
    long[] d = x.dims();
    int n = (int) d[0];
    int ih = (int) d[1];
    int iw = (int) d[2];
    int c = (int) d[3];
    int oh = (int) g.out()[0];
    int ow = (int) g.out()[1];
    long[] in = {ih, iw};
    int[][] rows = Pooling.axisTaps(g, in, 0).taps();
    int[][] cols = Pooling.axisTaps(g, in, 1).taps();
    int kh = (int) g.kernel()[0];
    int kw = (int) g.kernel()[1];
    float[] xs = (float[]) x.array();
    int x0 = x.offset();
    float[] y = (float[]) out.array();
    int y0 = out.offset();
    if ((long) ih * kw + (long) oh * kh >= (long) oh * kh * kw) {
      // Output columns whose windows lie inside the row (all kw taps): the same taps shifted.
      int full0 = 0;
      while (full0 < ow && cols[full0].length < kw) {
        full0++;
      }
      int full1 = full0;
      while (full1 < ow && cols[full1].length == kw) {
        full1++;
      }
      int first = full0;
      int end = full1;
      int step = (int) g.strides()[1] * c;
      par.forRange(n * oh, (long) ow * kh * kw * c, (from, to) -> {
        int[] offs = new int[kh * kw];
        for (int row = from; row < to; row++) {
          int img = row / oh;
          int[] rs = rows[row % oh];
          for (int ox = 0; ox < ow; ox++) {
            if (ox == first && end > first) {
              int t = 0;
              for (int iy : rs) {
                for (int ix : cols[ox]) {
                  offs[t++] = (iy * iw + ix - cols[ox][0]) * c;
                }
              }
              ChannelMax.maxRun(xs, x0 + (img * ih * iw + cols[ox][0]) * c, step, offs, t, y,
                  y0 + (row * ow + ox) * c, c, end - first);
              ox = end - 1;
              continue;
            }
            int t = 0;
            for (int iy : rs) {
              for (int ix : cols[ox]) {
                offs[t++] = (iy * iw + ix) * c;
              }
            }
            ChannelMax.max(xs, x0 + img * ih * iw * c, offs, t, false, y,
                y0 + (row * ow + ox) * c, c);
          }
        }
      });
      return;
    }
    // Filled whole before the second pass reads it; the chunks of both passes take no scratch.
    float[] rowMax = Scratch.get().temporary(n * ih * ow * c);
    par.forRange(n * ih, (long) ow * kw * c, (from, to) -> {
      int[] offs = new int[kw];
      for (int row = from; row < to; row++) {
        for (int ox = 0; ox < ow; ox++) {
          int t = 0;
          for (int ix : cols[ox]) {
            offs[t++] = ix * c;
          }
          ChannelMax.max(xs, x0 + row * iw * c, offs, t, true, rowMax, (row * ow + ox) * c, c);
        }
      }
    });
    par.forRange(n * oh, (long) ow * kh * c, (from, to) -> {
      int[] offs = new int[kh];
      for (int row = from; row < to; row++) {
        int img = row / oh;
        int[] rs = rows[row % oh];
        for (int ox = 0; ox < ow; ox++) {
          int t = 0;
          for (int iy : rs) {
            offs[t++] = iy * ow * c;
          }
          int dst = y0 + (row * ow + ox) * c;
          ChannelMax.max(rowMax, (img * ih * ow + ox) * c, offs, t, true, y, dst, c);
          if (t > 0 && cols[ox].length > 0) {
            ChannelMax.firstNaN(xs, x0 + ((img * ih + rs[0]) * iw + cols[ox][0]) * c, y, dst, c);
          }
        }
      }
    });
  }

  private static void sumInto(float[] tap, double[] sum, int n) {
    for (int j = 0; j < n; j++) {
      sum[j] += tap[j];
    }
  }

  private static NdArray global(KernelContext ctx, Mode mode) {
    NdArray x = input(ctx);
    long[] d = x.dims();
    int n = (int) d[0];
    int plane = (int) (d[1] * d[2]);
    int c = (int) d[3];
    // Read where the input lies and written into the kernel's output (arena views included).
    float[] xs = (float[]) x.array();
    int x0 = x.offset();
    NdArray out = ctx.output(0, DType.FLOAT, new long[] {d[0], 1, 1, d[3]});
    float[] y = (float[]) out.array();
    int y0 = out.offset();
    ctx.parallel().forRange(n, (long) plane * c, (from, to) -> {
      double[] acc = new double[c];
      for (int img = from; img < to; img++) {
        Arrays.fill(acc, mode == Mode.MAX ? Double.NEGATIVE_INFINITY : 0);
        for (int p = 0; p < plane; p++) {
          int src = x0 + (img * plane + p) * c;
          if (mode == Mode.MAX) {
            for (int j = 0; j < c; j++) {
              acc[j] = Math.max(acc[j], xs[src + j]);
            }
          } else {
            for (int j = 0; j < c; j++) {
              acc[j] += xs[src + j];
            }
          }
        }
        for (int j = 0; j < c; j++) {
          y[y0 + img * c + j] = (float) (mode == Mode.MAX ? acc[j] : acc[j] / plane);
        }
      }
    });
    return out;
  }

  /**
   * LRN over the channel axis, which is the last: per pixel, the sum of squares of a window of
   * neighbouring channels, in double as the standard kernel computes it.
   */
  private static NdArray lrn(KernelContext ctx) {
    NdArray x = input(ctx);
    long[] d = x.dims();
    int c = (int) d[3];
    int pixels = (int) (d[0] * d[1] * d[2]);
    int size = ctx.attrInt("size");
    double alpha = ctx.attrFloat("alpha");
    double beta = ctx.attrFloat("beta");
    double bias = ctx.attrFloat("bias");
    int lo = (size - 1) / 2;
    int hi = size - 1 - lo;
    // Read where the input lies and written into the kernel's output (arena views included).
    float[] xs = (float[]) x.array();
    int x0 = x.offset();
    NdArray out = ctx.output(0, DType.FLOAT, d);
    float[] y = (float[]) out.array();
    int y0 = out.offset();
    ctx.parallel().forRange(pixels, (long) c * (size + 16), (from, to) -> {
      for (int p = from; p < to; p++) {
        int base = x0 + p * c;
        for (int ch = 0; ch < c; ch++) {
          double ss = 0;
          for (int cc = Math.max(0, ch - lo); cc <= Math.min(c - 1, ch + hi); cc++) {
            double v = xs[base + cc];
            ss += v * v;
          }
          y[y0 + p * c + ch] =
              (float) (xs[base + ch] / Normalization.lrnPower(bias + alpha / size * ss, beta));
        }
      }
    });
    return out;
  }
}
