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
 * every coordinate_transformation_mode, axes, keep_aspect_ratio_policy), and Upsample
 * ({@link GridSample} samples at arbitrary coordinates). Resize is separable: each resized axis
 * becomes a table of taps (source index and weight per output index) applied one axis at a
 * time, the same tensor-product interpolation the ONNX reference computes point by point.
 * Nearest resizing gathers elements exactly, so integer data keeps every bit.
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

  private static NdArray resize(KernelContext ctx, NdArray x, Params p, double[] roiIn) {
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
      return nearest(x, out, taps, p.extrapolation(), ctx::output);
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

  /**
   * Nearest resizing that keeps the last axis (a channels-last image scaled in H and W): every
   * output run along that axis is one input run, copied whole.
   */
  private static NdArray nearestRuns(NdArray x, long[] out, int[][] maps,
      KernelContext.Outputs outputs) {
    int rank = out.length;
    int run = (int) out[rank - 1];
    // Written where the node's output goes (its planned place in an arena).
    NdArray result = outputs.take(0, x.dtype(), out);
    int runs = run == 0 ? 0 : result.size() / run;
    Object src = x.array();
    Object dst = result.array();
    int[] counter = new int[rank - 1];
    for (int k = 0, d = result.offset(); k < runs; k++, d += run) {
      int off = x.offset();
      for (int a = 0; a < rank - 1; a++) {
        off += maps[a][counter[a]];
      }
      System.arraycopy(src, off, dst, d, run);
      for (int a = rank - 2; a >= 0; a--) {
        if (++counter[a] < out[a]) {
          break;
        }
        counter[a] = 0;
      }
    }
    return result;
  }

  /** Nearest resizing as an exact gather; tf_crop_and_resize misses get the extrapolation. */
  private static NdArray nearest(NdArray x, long[] out, Taps[] taps, double extrapolation,
      KernelContext.Outputs outputs) {
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
    if (!anyOutside && rank > 1 && taps[rank - 1] == null) {
      return nearestRuns(x, out, maps, outputs);
    }
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
}
