package dev.convoy.ir.ops.family;

import static dev.convoy.ir.ops.Kernels.one;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.InferenceContext;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.NodeContext;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.ShapeFns;
import dev.convoy.ir.ops.ShapeValue;
import dev.convoy.ir.ops.runtime.Strided;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Resampling ops: Resize (nearest with every nearest_mode, linear and cubic with antialias,
 * every coordinate_transformation_mode, axes, keep_aspect_ratio_policy), Upsample, GridSample,
 * AffineGrid and Col2Im. Resize is separable: each resized axis becomes a table of taps (source
 * index and weight per output index) applied one axis at a time, the same tensor-product
 * interpolation the ONNX reference computes point by point. Nearest resizing gathers elements
 * exactly, so integer data keeps every bit.
 */
public final class Resize implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    r.op("Upsample", 7).attr("mode", "nearest").requiredAttr("scales")
        .shape(ctx -> resizeShape(ctx, floats(ctx.attrFloats("scales")), null, null))
        .kernel(ctx -> one(resize(ctx, ctx.tensor(0), legacy(ctx, floats(ctx.attrFloats("scales"))),
            null)));
    r.op("Upsample", 9).inputs(2).attr("mode", "nearest")
        .shape(ctx -> resizeShape(ctx, doubles(ctx.constant(1)), null, null))
        .kernel(ctx -> one(resize(ctx, ctx.tensor(0), legacy(ctx, doubles(ctx.tensor(1))), null)));
    r.op("Resize", 10).inputs(2).attr("mode", "nearest")
        .shape(ctx -> resizeShape(ctx, doubles(ctx.constant(1)), null, null))
        .kernel(ctx -> one(resize(ctx, ctx.tensor(0), legacy(ctx, doubles(ctx.tensor(1))), null)));
    for (int since : new int[] {11, 13, 18, 19}) {
      var b = r.op("Resize", since).inputs(1, 4).attr("coordinate_transformation_mode",
              "half_pixel").attr("cubic_coeff_a", -0.75f).attr("exclude_outside", 0L)
          .attr("extrapolation_value", 0.0f).attr("mode", "nearest")
          .attr("nearest_mode", "round_prefer_floor");
      if (since >= 18) {
        b.attr("antialias", 0L).optionalAttr("axes").attr("keep_aspect_ratio_policy", "stretch");
      }
      b.shape(ctx -> {
        ShapeValue computedSizes = ctx.hasInput(3) && ctx.constantLongs(3) == null
            ? ctx.shapeValue(3) : null;
        if (computedSizes != null) {
          return resizeToShapeValue(ctx, computedSizes);
        }
        return resizeShape(ctx, doubles(ctx.constant(2)), ctx.constantLongs(3),
            ctx.hasInput(2) && ctx.constant(2) == null
                || ctx.hasInput(3) && ctx.constantLongs(3) == null ? Boolean.FALSE : null);
      })
          .kernel(ctx -> one(resize(ctx, ctx.tensor(0), params(ctx), ctx.hasInput(1)
              ? doubles(ctx.tensor(1)) : null)));
    }
    for (int since : new int[] {16, 20}) {
      r.op("GridSample", since).inputs(2).attr("align_corners", 0L)
          .attr("mode", since == 16 ? "bilinear" : "linear").attr("padding_mode", "zeros")
          .shape(Resize::gridSampleShape).kernel(ctx -> one(gridSample(ctx)));
    }
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
    r.op("Col2Im", 18).inputs(3).optionalAttr("dilations").optionalAttr("pads")
        .optionalAttr("strides").shape(ctx -> {
          Shape s = ctx.shape(0);
          long[] image = ctx.constantLongs(1);
          long[] block = ctx.constantLongs(2);
          if (!s.hasRank() || image == null || block == null) {
            return ShapeFns.tensor(ctx.dtype(0), image == null ? Shape.unknownRank()
                : ShapeFns.unknownDims(image.length + 2));
          }
          List<Dim> out = new ArrayList<>();
          out.add(s.dim(0));
          Dim cb = s.dim(1);
          long blockSize = 1;
          for (long k : block) {
            blockSize *= k;
          }
          out.add(cb.isStatic() ? Dim.of(cb.size() / blockSize) : Dim.UNKNOWN);
          for (long d : image) {
            out.add(Dim.of(d));
          }
          return ShapeFns.tensor(ctx.dtype(0), Shape.of(out));
        }).kernel(ctx -> one(col2Im(ctx)));
  }

  private static double[] floats(float[] f) {
    if (f == null) {
      return null;
    }
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  /** A float tensor's values, or {@code null} when absent or empty (an unused input). */
  private static double[] doubles(NdArray a) {
    return a == null || a.size() == 0 ? null : a.toDoubles().clone();
  }

  // ---- Resize parameters ----

  /** Everything a resize needs besides the data and the roi. */
  private record Params(double[] scales, long[] sizes, long[] axes, String mode, String coord,
      String nearest, double cubicA, boolean excludeOutside, double extrapolation,
      boolean antialias, String keepAspect) {}

  /** Upsample and Resize-10: asymmetric coordinates and truncating nearest neighbours. */
  private static Params legacy(NodeContext ctx, double[] scales) {
    if (scales == null) {
      throw ctx.error("scales are missing");
    }
    String mode = ctx.attrString("mode");
    return new Params(scales, null, null, mode.equals("bilinear") ? "linear" : mode,
        "asymmetric", "simple", -0.75, false, 0, false, "stretch");
  }

  private static Params params(KernelContext ctx) {
    boolean v18 = ctx.def().sinceVersion() >= 18;
    return new Params(doubles(ctx.optionalTensor(2)), ctx.hasInput(3) ? ctx.longs(3) : null,
        v18 ? ctx.attrLongs("axes") : null, ctx.attrString("mode"),
        ctx.attrString("coordinate_transformation_mode"), ctx.attrString("nearest_mode"),
        ctx.attrFloat("cubic_coeff_a"), ctx.attrLong("exclude_outside") != 0,
        ctx.attrFloat("extrapolation_value"), v18 && ctx.attrLong("antialias") != 0,
        v18 ? ctx.attrString("keep_aspect_ratio_policy") : "stretch");
  }

  private static int[] resizeAxes(NodeContext ctx, long[] axes, int rank) {
    if (axes == null) {
      int[] all = new int[rank];
      for (int i = 0; i < rank; i++) {
        all[i] = i;
      }
      return all;
    }
    int[] a = new int[axes.length];
    for (int i = 0; i < axes.length; i++) {
      a[i] = ctx.axis(axes[i], rank);
    }
    return a;
  }

  /**
   * Output sizes and per-axis scales (filled into {@code scalesOut}) as the ONNX reference
   * computes them: sizes rule when given (with the aspect-ratio policy), else floor(in*scale).
   */
  private static long[] outputSizes(NodeContext ctx, long[] in, Params p, double[] scalesOut) {
    int rank = in.length;
    int[] axes = resizeAxes(ctx, p.axes(), rank);
    long[] out = in.clone();
    Arrays.fill(scalesOut, 1.0);
    if (p.sizes() != null && p.sizes().length > 0) {
      if (p.sizes().length != axes.length) {
        throw ctx.error("sizes has " + p.sizes().length + " entries for " + axes.length
            + " axes");
      }
      for (int i = 0; i < axes.length; i++) {
        scalesOut[axes[i]] = (double) p.sizes()[i] / in[axes[i]];
        out[axes[i]] = p.sizes()[i];
      }
      if (!p.keepAspect().equals("stretch")) {
        double s = p.keepAspect().equals("not_larger") ? Double.MAX_VALUE : -Double.MAX_VALUE;
        for (int a : axes) {
          s = switch (p.keepAspect()) {
            case "not_larger" -> Math.min(s, scalesOut[a]);
            case "not_smaller" -> Math.max(s, scalesOut[a]);
            default -> throw ctx.error("unknown keep_aspect_ratio_policy '" + p.keepAspect()
                + "'");
          };
        }
        for (int a : axes) {
          scalesOut[a] = s;
          out[a] = (long) (s * in[a] + 0.5);
        }
      }
      return out;
    }
    if (p.scales() == null) {
      throw ctx.error("needs either scales or sizes");
    }
    if (p.scales().length != axes.length) {
      throw ctx.error("scales has " + p.scales().length + " entries for " + axes.length
          + " axes");
    }
    for (int i = 0; i < axes.length; i++) {
      double s = p.scales()[i];
      if (s <= 0) {
        throw ctx.error("scales must be positive, got " + Arrays.toString(p.scales()));
      }
      scalesOut[axes[i]] = s;
      out[axes[i]] = scaledSize(s, in[axes[i]]);
    }
    return out;
  }

  /**
   * {@code floor(size * scale)} as ONNX's shape inference and ONNX Runtime compute it: in float32
   * arithmetic on the float scale. In exact arithmetic {@code 0.7f * 10} is 6.99999988; in float32
   * it rounds to 7.0, and 7 is the size the runtime allocates.
   */
  private static long scaledSize(double scale, long size) {
    return (long) Math.floor((float) size * (float) scale);
  }

  /** Resize to sizes computed from shapes (symbolic dims kept) under the stretch policy. */
  private static List<ValueType> resizeToShapeValue(InferenceContext ctx, ShapeValue sizes) {
    Shape s = ctx.shape(0);
    if (!s.hasRank()) {
      return ShapeFns.tensor(ctx.dtype(0), s);
    }
    int[] axes = resizeAxes(ctx, ctx.def().attribute("axes") != null ? ctx.attrLongs("axes")
        : null, s.rank());
    boolean stretch = ctx.def().attribute("keep_aspect_ratio_policy") == null
        || ctx.attrString("keep_aspect_ratio_policy").equals("stretch");
    if (!stretch || sizes.size() != axes.length) {
      return ShapeFns.tensor(ctx.dtype(0), ShapeFns.unknownDims(s.rank()));
    }
    List<Dim> out = new ArrayList<>(s.dims());
    for (int i = 0; i < axes.length; i++) {
      out.set(axes[i], sizes.dim(i));
    }
    return ShapeFns.tensor(ctx.dtype(0), Shape.of(out));
  }

  /** {@code unknown} is FALSE when scales or sizes are given but not constant. */
  private static List<ValueType> resizeShape(InferenceContext ctx, double[] scales, long[] sizes,
      Boolean unknown) {
    Shape s = ctx.shape(0);
    if (!s.hasRank()) {
      return ShapeFns.tensor(ctx.dtype(0), s);
    }
    int rank = s.rank();
    if (unknown != null || (scales == null && (sizes == null || sizes.length == 0))) {
      return ShapeFns.tensor(ctx.dtype(0), ShapeFns.unknownDims(rank));
    }
    long[] axesAttr = ctx.def().attribute("axes") != null ? ctx.attrLongs("axes") : null;
    int[] axes = resizeAxes(ctx, axesAttr, rank);
    List<Dim> out = new ArrayList<>(s.dims());
    boolean keep = ctx.def().attribute("keep_aspect_ratio_policy") != null
        && !ctx.attrString("keep_aspect_ratio_policy").equals("stretch");
    if (sizes != null && sizes.length > 0) {
      if (keep) {
        boolean larger = ctx.attrString("keep_aspect_ratio_policy").equals("not_smaller");
        double scale = larger ? -Double.MAX_VALUE : Double.MAX_VALUE;
        for (int i = 0; i < axes.length && i < sizes.length; i++) {
          Dim d = s.dim(axes[i]);
          if (!d.isStatic()) {
            return ShapeFns.tensor(ctx.dtype(0), ShapeFns.unknownDims(rank));
          }
          double f = (double) sizes[i] / d.size();
          scale = larger ? Math.max(scale, f) : Math.min(scale, f);
        }
        for (int a : axes) {
          out.set(a, Dim.of((long) (scale * s.dim(a).size() + 0.5)));
        }
        return ShapeFns.tensor(ctx.dtype(0), Shape.of(out));
      }
      if (sizes.length != axes.length) {
        throw ctx.contradiction("sizes has " + sizes.length + " entries for " + axes.length
            + " axes");
      }
      for (int i = 0; i < axes.length; i++) {
        out.set(axes[i], Dim.of(sizes[i]));
      }
      return ShapeFns.tensor(ctx.dtype(0), Shape.of(out));
    }
    if (scales.length != axes.length) {
      throw ctx.contradiction("scales has " + scales.length + " entries for " + axes.length
          + " axes");
    }
    for (int i = 0; i < axes.length; i++) {
      Dim d = s.dim(axes[i]);
      out.set(axes[i], scales[i] == 1.0 ? d
          : d.isStatic() ? Dim.of(scaledSize(scales[i], d.size())) : Dim.UNKNOWN);
    }
    return ShapeFns.tensor(ctx.dtype(0), Shape.of(out));
  }

  // ---- Resize kernel ----

  /** Per output index along one axis: source indices and weights, or extrapolation. */
  private record Taps(int[][] index, double[][] weight, boolean[] outside) {}

  private static NdArray resize(NodeContext ctx, NdArray x, Params p, double[] roiIn) {
    int rank = x.rank();
    long[] in = x.dims();
    double[] scales = new double[rank];
    long[] out = outputSizes(ctx, in, p, scales);
    double[] roi = fullRoi(ctx, roiIn, p, rank);
    String mode = p.mode();
    if (!mode.equals("nearest") && !mode.equals("linear") && !mode.equals("cubic")) {
      throw ctx.error("unknown mode '" + mode + "'");
    }
    if (p.antialias() && mode.equals("nearest")) {
      throw ctx.error("antialias does not apply to nearest mode");
    }
    boolean crop = p.coord().equals("tf_crop_and_resize");
    Taps[] taps = new Taps[rank];
    for (int a = 0; a < rank; a++) {
      boolean identity = out[a] == in[a] && scales[a] == 1.0 && !crop;
      if (!identity) {
        if (in[a] == 0) {
          throw ctx.error("cannot resize axis " + a + " of size 0");
        }
        taps[a] = taps(ctx, p, in[a], out[a], scales[a], roi[a], roi[a + rank]);
      }
    }
    if (mode.equals("nearest")) {
      return nearest(x, out, taps, p.extrapolation());
    }
    if (x.dtype() == DType.STRING || x.dtype() == DType.BOOL) {
      throw ctx.error(mode + " resize needs numeric data, got " + x.dtype().textName());
    }
    double[] data = x.toDoubles();
    long[] dims = in.clone();
    for (int a = 0; a < rank; a++) {
      if (taps[a] != null) {
        data = interpolateAxis(data, dims, a, out[a], taps[a], p.extrapolation());
        dims[a] = out[a];
      }
    }
    return NdArray.fromDoubles(x.dtype(), out, data);
  }

  private static double[] fullRoi(NodeContext ctx, double[] roi, Params p, int rank) {
    double[] full = new double[2 * rank];
    Arrays.fill(full, rank, 2 * rank, 1.0);
    if (!p.coord().equals("tf_crop_and_resize") || roi == null) {
      return full;
    }
    int[] axes = resizeAxes(ctx, p.axes(), rank);
    if (roi.length != 2 * axes.length) {
      throw ctx.error("roi has " + roi.length + " entries, expected " + 2 * axes.length);
    }
    for (int i = 0; i < axes.length; i++) {
      full[axes[i]] = roi[i];
      full[axes[i] + rank] = roi[i + axes.length];
    }
    return full;
  }

  /** Where output index {@code x} samples the input, per coordinate_transformation_mode. */
  private static double original(NodeContext ctx, String coord, double x, double scale,
      long inLen, long outLen, double roiStart, double roiEnd) {
    double outWidth = scale * inLen;
    return switch (coord) {
      case "half_pixel" -> (x + 0.5) / scale - 0.5;
      case "half_pixel_symmetric" -> {
        double adjustment = outLen / outWidth;
        double offset = inLen / 2.0 * (1 - adjustment);
        yield offset + (x + 0.5) / scale - 0.5;
      }
      case "pytorch_half_pixel" -> outWidth == 1 ? -0.5 : (x + 0.5) / scale - 0.5;
      case "align_corners" -> outWidth == 1 ? 0 : x * (inLen - 1) / (outWidth - 1);
      case "asymmetric" -> x / scale;
      case "tf_half_pixel_for_nn" -> (x + 0.5) / scale;
      case "tf_crop_and_resize" -> (outWidth == 1
          ? (roiEnd - roiStart) * (inLen - 1) / 2
          : x * (roiEnd - roiStart) * (inLen - 1) / (outWidth - 1)) + roiStart * (inLen - 1);
      default -> throw ctx.error("unknown coordinate_transformation_mode '" + coord + "'");
    };
  }

  private static Taps taps(NodeContext ctx, Params p, long inLen, long outLen, double scale,
      double roiStart, double roiEnd) {
    int n = (int) outLen;
    int[][] index = new int[n][];
    double[][] weight = new double[n][];
    boolean[] outside = new boolean[n];
    boolean crop = p.coord().equals("tf_crop_and_resize");
    for (int o = 0; o < n; o++) {
      double xo = original(ctx, p.coord(), o, scale, inLen, outLen, roiStart, roiEnd);
      if (crop && (xo < 0 || xo > inLen - 1)) {
        outside[o] = true;
        index[o] = new int[0];
        weight[o] = new double[0];
        continue;
      }
      double fl = Math.floor(xo);
      double ratio = xo - fl;
      switch (p.mode()) {
        case "nearest" -> {
          long i = switch (p.nearest()) {
            case "round_prefer_floor" -> ratio <= 0.5 ? (long) fl : (long) fl + 1;
            case "round_prefer_ceil" -> ratio < 0.5 ? (long) fl : (long) fl + 1;
            case "floor" -> (long) fl;
            case "ceil" -> (long) Math.ceil(xo);
            // Upsample and Resize-10: truncate when enlarging, round up when shrinking.
            case "simple" -> scale < 1 ? (long) Math.ceil(xo) : (long) xo;
            default -> throw ctx.error("unknown nearest_mode '" + p.nearest() + "'");
          };
          index[o] = new int[] {(int) Math.min(Math.max(i, 0), inLen - 1)};
          weight[o] = new double[] {1};
        }
        case "linear", "cubic" -> {
          boolean cubic = p.mode().equals("cubic");
          double support = cubic ? 2 : 1;
          double s = p.antialias() ? Math.min(scale, 1.0) : 1.0;
          int start = (int) (Math.floor(-support / s) + 1);
          int end = 2 - start;
          int taps = end - start;
          int[] idx = new int[taps];
          double[] w = new double[taps];
          double sum = 0;
          for (int t = 0; t < taps; t++) {
            long i = (long) fl + start + t;
            double arg = (start + t - ratio) * s;
            double wt = cubic ? cubicKernel(arg, p.cubicA()) : Math.max(0, 1 - Math.abs(arg));
            if (p.excludeOutside() && (i < 0 || i >= inLen)) {
              wt = 0;
            }
            idx[t] = (int) Math.min(Math.max(i, 0), inLen - 1);
            w[t] = wt;
            sum += wt;
          }
          if (p.antialias() || p.excludeOutside()) {
            for (int t = 0; t < taps; t++) {
              w[t] /= sum;
            }
          }
          index[o] = idx;
          weight[o] = w;
        }
        default -> throw ctx.error("unknown mode '" + p.mode() + "'");
      }
    }
    return new Taps(index, weight, outside);
  }

  /** Keys' cubic convolution kernel with coefficient {@code a}. */
  static double cubicKernel(double x, double a) {
    x = Math.abs(x);
    if (x <= 1) {
      return ((a + 2) * x - (a + 3)) * x * x + 1;
    }
    if (x < 2) {
      return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
    }
    return 0;
  }

  private static double[] interpolateAxis(double[] data, long[] dims, int axis, long outLen,
      Taps taps, double extrapolation) {
    int inLen = (int) dims[axis];
    int inner = 1;
    for (int i = axis + 1; i < dims.length; i++) {
      inner *= (int) dims[i];
    }
    int outer = 1;
    for (int i = 0; i < axis; i++) {
      outer *= (int) dims[i];
    }
    int n = (int) outLen;
    double[] out = new double[outer * n * inner];
    for (int b = 0; b < outer; b++) {
      int srcBase = b * inLen * inner;
      for (int o = 0; o < n; o++) {
        int dst = (b * n + o) * inner;
        if (taps.outside()[o]) {
          Arrays.fill(out, dst, dst + inner, extrapolation);
          continue;
        }
        int[] idx = taps.index()[o];
        double[] w = taps.weight()[o];
        for (int t = 0; t < idx.length; t++) {
          double wt = w[t];
          if (wt == 0) {
            continue;
          }
          int src = srcBase + idx[t] * inner;
          for (int i = 0; i < inner; i++) {
            out[dst + i] += wt * data[src + i];
          }
        }
      }
    }
    return out;
  }

  /** Nearest resizing as an exact gather; tf_crop_and_resize misses get the extrapolation. */
  private static NdArray nearest(NdArray x, long[] out, Taps[] taps, double extrapolation) {
    int rank = out.length;
    int[] st = Strided.strides(x.dims());
    int[][] maps = new int[rank][];
    boolean[][] outside = new boolean[rank][];
    boolean anyOutside = false;
    for (int a = 0; a < rank; a++) {
      maps[a] = new int[(int) out[a]];
      outside[a] = new boolean[(int) out[a]];
      for (int o = 0; o < out[a]; o++) {
        if (taps[a] == null) {
          maps[a][o] = o * st[a];
        } else if (taps[a].outside()[o]) {
          outside[a][o] = true;
          anyOutside = true;
        } else {
          maps[a][o] = taps[a].index()[o][0] * st[a];
        }
      }
    }
    int n = NdArray.checkedSize(out);
    int[] index = new int[n];
    boolean[] miss = anyOutside ? new boolean[n] : null;
    int[] counter = new int[rank];
    for (int k = 0; k < n; k++) {
      int off = 0;
      for (int a = 0; a < rank; a++) {
        off += maps[a][counter[a]];
        if (miss != null && outside[a][counter[a]]) {
          miss[k] = true;
        }
      }
      index[k] = off;
      for (int a = rank - 1; a >= 0; a--) {
        if (++counter[a] < out[a]) {
          break;
        }
        counter[a] = 0;
      }
    }
    NdArray result = Strided.take(x, index, out);
    if (miss != null) {
      for (int k = 0; k < n; k++) {
        if (miss[k]) {
          result.setDouble(k, extrapolation);
        }
      }
    }
    return result;
  }

  // ---- GridSample ----

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

  private static NdArray gridSample(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    NdArray grid = ctx.tensor(1);
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
    long channels = x.dim(1);
    long[] spatial = Arrays.copyOfRange(x.dims(), 2, r + 2);
    int[] st = Strided.strides(spatial);
    int plane = (int) NdArray.checkedSize(spatial);
    long[] outSpatial = Arrays.copyOfRange(grid.dims(), 1, r + 1);
    int points = NdArray.checkedSize(outSpatial);
    long[] outDims = new long[r + 2];
    outDims[0] = batch;
    outDims[1] = channels;
    System.arraycopy(outSpatial, 0, outDims, 2, r);
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
          int base = (n * (int) channels + ch) * plane;
          out[(n * (int) channels + ch) * points + p] = sampleTaps(in, base, st, idx, w, r);
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
      w[d][k] = cubicKernel(t + 1 - k, -0.75);
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

  // ---- AffineGrid ----

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

  // ---- Col2Im ----

  private static NdArray col2Im(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    long[] image = ctx.longs(1);
    long[] block = ctx.longs(2);
    int r = image.length;
    if (block.length != r || x.rank() != 3) {
      throw ctx.error("input " + x.shape() + ", image_shape and block_shape do not agree");
    }
    long[] dil = ctx.hasAttr("dilations") ? ctx.attrLongs("dilations") : ones(r);
    long[] str = ctx.hasAttr("strides") ? ctx.attrLongs("strides") : ones(r);
    long[] pads = ctx.hasAttr("pads") ? ctx.attrLongs("pads") : new long[2 * r];
    long blockSize = 1;
    for (long k : block) {
      blockSize *= k;
    }
    if (x.dim(1) % blockSize != 0) {
      throw ctx.error("input channels " + x.dim(1) + " are not a multiple of the block size "
          + blockSize);
    }
    long channels = x.dim(1) / blockSize;
    long[] grid = new long[r];
    long blocks = 1;
    for (int d = 0; d < r; d++) {
      grid[d] = (image[d] + pads[d] + pads[d + r] - dil[d] * (block[d] - 1) - 1) / str[d] + 1;
      blocks *= grid[d];
    }
    if (blocks != x.dim(2)) {
      throw ctx.error("input has " + x.dim(2) + " blocks, the image and block shapes give "
          + blocks);
    }
    long[] outDims = new long[r + 2];
    outDims[0] = x.dim(0);
    outDims[1] = channels;
    System.arraycopy(image, 0, outDims, 2, r);
    int[] ist = Strided.strides(image);
    int plane = NdArray.checkedSize(image);
    double[] in = x.toDoubles();
    double[] out = new double[NdArray.checkedSize(outDims)];
    int[] kc = new int[r];
    int[] bc = new int[r];
    for (int n = 0; n < x.dim(0); n++) {
      for (int c = 0; c < channels; c++) {
        Arrays.fill(kc, 0);
        for (int k = 0; k < blockSize; k++) {
          int row = (int) ((n * x.dim(1) + c * blockSize + k) * blocks);
          Arrays.fill(bc, 0);
          for (int b = 0; b < blocks; b++) {
            int off = 0;
            boolean inside = true;
            for (int d = 0; d < r && inside; d++) {
              long pos = bc[d] * str[d] - pads[d] + kc[d] * dil[d];
              inside = pos >= 0 && pos < image[d];
              off += (int) pos * ist[d];
            }
            if (inside) {
              out[(int) ((n * channels + c) * plane) + off] += in[row + b];
            }
            step(bc, grid);
          }
          step(kc, block);
        }
      }
    }
    return NdArray.fromDoubles(x.dtype(), outDims, out);
  }

  private static long[] ones(int n) {
    long[] a = new long[n];
    Arrays.fill(a, 1);
    return a;
  }

  private static void step(int[] counter, long[] dims) {
    for (int d = counter.length - 1; d >= 0; d--) {
      if (++counter[d] < dims[d]) {
        return;
      }
      counter[d] = 0;
    }
  }
}
