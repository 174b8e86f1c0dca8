package dev.convoy.ir.ops.family;

import static dev.convoy.ir.ops.Kernels.one;

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
import dev.convoy.ir.ops.runtime.Strided;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Sampling at arbitrary coordinates: GridSample (bilinear, nearest or bicubic reads at the
 * normalized positions of a grid, with zeros, border or reflection padding and either
 * align_corners convention) and AffineGrid (the grid an affine transform maps the output
 * positions to). Bicubic weights are {@link Resize}'s cubic kernel with a = -0.75. The {@code cvy}
 * target's layout pass writes {@code convoy::NhwcGridSample}, GridSample's attributes on {@code
 * [N, H, W, C]} data, which the same kernel runs with channels innermost.
 */
public final class GridSample implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    for (int since : new int[] {16, 20}) {
      r.op("GridSample", since).inputs(2).attr("align_corners", 0L)
          .attr("mode", since == 16 ? "bilinear" : "linear").attr("padding_mode", "zeros")
          .shape(GridSample::gridSampleShape).kernel(ctx -> one(gridSample(ctx, false)));
    }
    r.op(OpCatalog.CONVOY_DOMAIN, "NhwcGridSample", 1).inputs(2).attr("align_corners", 0L)
        .attr("mode", "linear").attr("padding_mode", "zeros")
        .shape(GridSample::nhwcShape).kernel(ctx -> one(gridSample(ctx, true)));
    r.op("AffineGrid", 20).inputs(2).attr("align_corners", 0L).shape(ctx -> {
      long[] size = ctx.constantLongs(1);
      if (size == null) {
        Shape s = ctx.shape(1);
        return ShapeFns.tensor(ctx.dtype(0), s.hasRank() && s.dim(0).isStatic()
            ? ShapeFns.unknownDims((int) s.dim(0).size()) : Shape.unknownRank());
      }
      long[] out = new long[size.length];
      out[0] = size[0];
      System.arraycopy(size, 2, out, 1, size.length - 2);
      out[size.length - 1] = size.length - 2;
      return ShapeFns.tensor(ctx.dtype(0), Shape.of(out));
    }).kernel(ctx -> one(affineGrid(ctx)));
  }

  private static List<ValueType> gridSampleShape(InferenceContext ctx) {
    Shape x = ctx.shape(0);
    Shape g = ctx.shape(1);
    if (!x.hasRank() || !g.hasRank()) {
      return ShapeFns.tensor(ctx.dtype(0), x.hasRank() ? ShapeFns.unknownDims(x.rank())
          : Shape.unknownRank());
    }
    List<Dim> out = new ArrayList<>();
    out.add(Layout.mergeDim(ctx, x.dim(0), g.dim(0)));
    out.add(x.dim(1));
    out.addAll(g.dims().subList(1, g.rank() - 1));
    return ShapeFns.tensor(ctx.dtype(0), Shape.of(out));
  }

  /** NhwcGridSample: X {@code [N, H, W, C]}, grid {@code [N, Ho, Wo, 2]} -> {@code [N, Ho, Wo, C]}. */
  private static List<ValueType> nhwcShape(InferenceContext ctx) {
    Shape x = ctx.shape(0);
    Shape g = ctx.shape(1);
    if (!x.hasRank() || !g.hasRank()) {
      return ShapeFns.tensor(ctx.dtype(0), ShapeFns.unknownDims(4));
    }
    if (x.rank() != 4 || g.rank() != 4) {
      throw ctx.contradiction("input " + x + " and grid " + g + " must be 4-D");
    }
    return ShapeFns.tensor(ctx.dtype(0), Shape.of(List.of(Layout.mergeDim(ctx, x.dim(0),
        g.dim(0)), g.dim(1), g.dim(2), x.dim(3))));
  }

  /**
   * GridSample, or with {@code channelsLast} its channels-last form (the layout pass's {@code
   * convoy::NhwcGridSample}: 2-D, channels innermost in input and output); both sum the same
   * taps in the same order.
   */
  private static NdArray gridSample(KernelContext ctx, boolean channelsLast) {
    NdArray x = ctx.tensor(0);
    NdArray grid = ctx.tensor(1);
    if (channelsLast && x.rank() != 4) {
      throw ctx.error("input must be [N, H, W, C], got " + x.describe());
    }
    int r = x.rank() - 2;
    if (r < 1 || grid.rank() != r + 2 || grid.dim(grid.rank() - 1) != r
        || grid.dim(0) != x.dim(0)) {
      throw ctx.error("grid " + grid.shape() + " does not fit input " + x.shape());
    }
    if (!x.dtype().isFloatingPoint()) {
      throw ctx.unsupportedType(x.dtype());
    }
    String mode = switch (ctx.attrString("mode")) {
      case "bilinear", "linear" -> "linear";
      case "bicubic", "cubic" -> "cubic";
      case "nearest" -> "nearest";
      default -> throw ctx.error("unknown mode '" + ctx.attrString("mode") + "'");
    };
    String padding = ctx.attrString("padding_mode");
    if (!padding.equals("zeros") && !padding.equals("border") && !padding.equals("reflection")) {
      throw ctx.error("unknown padding_mode '" + padding + "'");
    }
    boolean align = ctx.attrLong("align_corners") != 0;
    long batch = x.dim(0);
    long channels = x.dim(channelsLast ? r + 1 : 1);
    int first = channelsLast ? 1 : 2;
    long[] spatial = Arrays.copyOfRange(x.dims(), first, first + r);
    int[] st = Strided.strides(spatial);
    int plane = (int) NdArray.checkedSize(spatial);
    // Channels-last: a pixel's channels are adjacent, pixels C apart.
    int pixelStride = channelsLast ? (int) channels : 1;
    for (int d = 0; d < r; d++) {
      st[d] *= pixelStride;
    }
    long[] outSpatial = Arrays.copyOfRange(grid.dims(), 1, r + 1);
    int points = NdArray.checkedSize(outSpatial);
    long[] outDims = new long[r + 2];
    outDims[0] = batch;
    outDims[channelsLast ? r + 1 : 1] = channels;
    System.arraycopy(outSpatial, 0, outDims, first, r);
    double[] in = x.toDoubles();
    double[] g = grid.toDoubles();
    double[] out = new double[NdArray.checkedSize(outDims)];
    int[][] idx = new int[r][];
    double[][] w = new double[r][];
    for (int n = 0; n < batch; n++) {
      for (int p = 0; p < points; p++) {
        // Grid coordinates come innermost-axis first (x, y, z): reverse them onto the dims.
        for (int d = 0; d < r; d++) {
          double norm = g[(n * points + p) * r + (r - 1 - d)];
          long len = spatial[d];
          double c = align ? (norm + 1) / 2 * (len - 1) : ((norm + 1) * len - 1) / 2;
          double lo = align ? 0 : -0.5;
          double hi = align ? len - 1 : len - 0.5;
          if (mode.equals("nearest")) {
            // Round half to even, as the node tests expect in every rank.
            c = Math.rint(c);
          }
          if (c < lo || c > hi) {
            if (padding.equals("border")) {
              c = Math.min(Math.max(c, 0), len - 1);
            } else if (padding.equals("reflection")) {
              c = reflect(c, lo, hi);
            }
          }
          gridTaps(mode, c, len, lo, hi, padding, d, idx, w);
        }
        for (int ch = 0; ch < channels; ch++) {
          int base = channelsLast ? n * plane * (int) channels + ch
              : (n * (int) channels + ch) * plane;
          int at = channelsLast ? (n * points + p) * (int) channels + ch
              : (n * (int) channels + ch) * points + p;
          out[at] = sampleTaps(in, base, st, idx, w, r);
        }
      }
    }
    return NdArray.fromDoubles(x.dtype(), outDims, out);
  }

  /** The taps along one grid axis: -1 marks a zero-padded neighbour. */
  private static void gridTaps(String mode, double c, long len, double lo, double hi,
      String padding, int d, int[][] idx, double[][] w) {
    if (mode.equals("nearest")) {
      idx[d] = new int[] {pixel((long) c, len, lo, hi, padding)};
      w[d] = new double[] {1};
      return;
    }
    long f = (long) Math.floor(c);
    double t = c - f;
    if (mode.equals("linear")) {
      idx[d] = new int[] {pixel(f, len, lo, hi, padding), pixel(f + 1, len, lo, hi, padding)};
      w[d] = new double[] {1 - t, t};
      return;
    }
    idx[d] = new int[4];
    w[d] = new double[4];
    for (int k = 0; k < 4; k++) {
      idx[d][k] = pixel(f - 1 + k, len, lo, hi, padding);
      w[d][k] = Resize.cubicKernel(t + 1 - k, -0.75);
    }
  }

  private static int pixel(long i, long len, double lo, double hi, String padding) {
    return switch (padding) {
      case "zeros" -> i >= 0 && i < len ? (int) i : -1;
      case "border" -> (int) Math.min(Math.max(i, 0), len - 1);
      default -> (int) reflect(i, lo, hi);
    };
  }

  /** Reflects {@code x} by the borders until it lies within [lo, hi]. */
  private static double reflect(double x, double lo, double hi) {
    double range = hi - lo;
    if (x < lo) {
      double dx = lo - x;
      long n = (long) (dx / range);
      double r = dx - n * range;
      return n % 2 == 0 ? lo + r : hi - r;
    }
    if (x > hi) {
      double dx = x - hi;
      long n = (long) (dx / range);
      double r = dx - n * range;
      return n % 2 == 0 ? hi - r : lo + r;
    }
    return x;
  }

  /** The tensor-product sum over every combination of per-axis taps. */
  private static double sampleTaps(double[] in, int base, int[] st, int[][] idx, double[][] w,
      int r) {
    int[] k = new int[r];
    double sum = 0;
    while (true) {
      double weight = 1;
      int off = base;
      boolean zero = false;
      for (int d = 0; d < r; d++) {
        int i = idx[d][k[d]];
        if (i < 0) {
          zero = true;
          break;
        }
        weight *= w[d][k[d]];
        off += i * st[d];
      }
      if (!zero && weight != 0) {
        sum += weight * in[off];
      }
      int d = r - 1;
      while (d >= 0 && ++k[d] == idx[d].length) {
        k[d] = 0;
        d--;
      }
      if (d < 0) {
        return sum;
      }
    }
  }

  private static NdArray affineGrid(KernelContext ctx) {
    NdArray theta = ctx.tensor(0);
    long[] size = ctx.longs(1);
    int r = size.length - 2;
    if (r != 2 && r != 3) {
      throw ctx.error("size must have 4 or 5 entries, has " + size.length);
    }
    if (theta.rank() != 3 || theta.dim(1) != r || theta.dim(2) != r + 1
        || theta.dim(0) != size[0]) {
      throw ctx.error("theta " + theta.shape() + " does not fit size " + Arrays.toString(size));
    }
    boolean align = ctx.attrLong("align_corners") != 0;
    long[] spatial = Arrays.copyOfRange(size, 2, size.length);
    int points = NdArray.checkedSize(spatial);
    long[] outDims = new long[r + 2];
    outDims[0] = size[0];
    System.arraycopy(spatial, 0, outDims, 1, r);
    outDims[r + 1] = r;
    double[] th = theta.toDoubles();
    double[] out = new double[NdArray.checkedSize(outDims)];
    int[] counter = new int[r];
    double[] base = new double[r + 1];
    for (int p = 0; p < points; p++) {
      // base = (x, y[, z], 1) with x along the last spatial axis.
      for (int d = 0; d < r; d++) {
        long len = spatial[d];
        int i = counter[d];
        double v = align ? (len == 1 ? 0 : -1 + 2.0 * i / (len - 1)) : (2.0 * i + 1) / len - 1;
        base[r - 1 - d] = v;
      }
      base[r] = 1;
      for (int n = 0; n < size[0]; n++) {
        for (int row = 0; row < r; row++) {
          double acc = 0;
          for (int c = 0; c <= r; c++) {
            acc += th[(n * r + row) * (r + 1) + c] * base[c];
          }
          out[(n * points + p) * r + row] = acc;
        }
      }
      for (int d = r - 1; d >= 0; d--) {
        if (++counter[d] < spatial[d]) {
          break;
        }
        counter[d] = 0;
      }
    }
    return NdArray.fromDoubles(theta.dtype(), outDims, out);
  }
}
