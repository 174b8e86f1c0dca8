package dev.convoy.ir.ops.family;

import static dev.convoy.ir.ops.Kernels.one;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.InferenceContext;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.Kernels;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.NodeContext;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.RuntimeValue;
import dev.convoy.ir.ops.ShapeFns;
import dev.convoy.ir.ops.ShapeValue;
import dev.convoy.ir.ops.runtime.Strided;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Ops that take or extend a box of their input: Slice (negative steps, axes, ends beyond the
 * dim), Pad (constant, reflect, edge and wrap) and CenterCropPad (crop or pad each axis around
 * its center). Kernels are {@link Strided} views or copies into a region of the output; Slice of
 * a whole axis keeps its symbolic dim.
 */
public final class Slice implements OpFamily {

  /** Slice ends at or beyond this mean "to the end" for a symbolic dim. */
  private static final long TO_END = Integer.MAX_VALUE;

  @Override
  public void register(OpRegistrar r) {
    registerSlice(r);
    registerPad(r);
    r.op("CenterCropPad", 18).inputs(2).optionalAttr("axes").shape(ctx -> {
      Shape s = ctx.shape(0);
      long[] target = ctx.constantLongs(1);
      if (!s.hasRank()) {
        return ShapeFns.tensor(ctx.dtype(0), s);
      }
      List<Dim> out = new ArrayList<>(s.dims());
      int[] axes = axesOrAll(ctx, ctx.attrLongs("axes"), s.rank());
      for (int i = 0; i < axes.length; i++) {
        out.set(axes[i], target == null ? Dim.UNKNOWN : Dim.of(target[i]));
      }
      return ShapeFns.tensor(ctx.dtype(0), Shape.of(out));
    }).kernel(Slice::centerCropPad);
  }

  private static void registerSlice(OpRegistrar r) {
    r.op("Slice", 1).requiredAttr("starts").requiredAttr("ends").optionalAttr("axes")
        .shape(ctx -> sliceShape(ctx, ctx.attrLongs("starts"), ctx.attrLongs("ends"),
            ctx.attrLongs("axes"), null, true))
        .kernel(ctx -> one(slice(ctx, ctx.tensor(0), ctx.attrLongs("starts"),
            ctx.attrLongs("ends"), ctx.attrLongs("axes"), null)));
    r.op("Slice", 10).inputs(3, 5)
        .shape(ctx -> sliceShape(ctx, ctx.constantLongs(1), ctx.constantLongs(2),
            ctx.constantLongs(3), ctx.constantLongs(4),
            !ctx.hasInput(3) || ctx.constantLongs(3) != null))
        .kernel(ctx -> one(slice(ctx, ctx.tensor(0), ctx.longs(1), ctx.longs(2), ctx.longs(3),
            ctx.longs(4))));
  }

  /** Per-axis slice parameters resolved against concrete dims: start, step and count. */
  private record SliceAxis(long start, long step, long count) {}

  private static SliceAxis resolve(long dim, long start, long end, long step) {
    if (start < 0) {
      start += dim;
    }
    if (end < 0) {
      end += dim;
    }
    long count;
    if (step > 0) {
      start = Math.min(Math.max(start, 0), dim);
      end = Math.min(Math.max(end, 0), dim);
      count = end > start ? (end - start + step - 1) / step : 0;
    } else {
      start = Math.min(Math.max(start, 0), dim - 1);
      end = Math.min(Math.max(end, -1), dim - 1);
      count = start > end ? (start - end - step - 1) / -step : 0;
    }
    return new SliceAxis(start, step, count);
  }

  private static int[] sliceAxes(NodeContext ctx, long[] axes, int n, int rank) {
    int[] a = new int[n];
    if (axes != null && axes.length != n) {
      throw ctx.error("axes has " + axes.length + " entries but starts has " + n);
    }
    boolean[] seen = new boolean[rank];
    for (int i = 0; i < n; i++) {
      a[i] = axes == null ? i : ctx.axis(axes[i], rank);
      if (a[i] >= rank) {
        throw ctx.error("slices " + n + " axes of a rank-" + rank + " input");
      }
      if (seen[a[i]]) {
        throw ctx.error("axis " + a[i] + " is sliced twice");
      }
      seen[a[i]] = true;
    }
    return a;
  }

  private static List<ValueType> sliceShape(InferenceContext ctx, long[] starts, long[] ends,
      long[] axes, long[] steps, boolean axesKnown) {
    Shape s = ctx.shape(0);
    if (!s.hasRank()) {
      return ShapeFns.tensor(ctx.dtype(0), s);
    }
    boolean stepsKnown = steps != null || ctx.def().sinceVersion() < 10 || !ctx.hasInput(4);
    if (starts == null || ends == null || !axesKnown || !stepsKnown) {
      if (axesKnown && axes != null) {
        List<Dim> out = new ArrayList<>(s.dims());
        for (long a : axes) {
          out.set(ctx.axis(a, s.rank()), Dim.UNKNOWN);
        }
        return ShapeFns.tensor(ctx.dtype(0), Shape.of(out));
      }
      return ShapeFns.tensor(ctx.dtype(0), ShapeFns.unknownDims(s.rank()));
    }
    if (starts.length != ends.length) {
      throw ctx.contradiction("starts and ends have different lengths");
    }
    int[] ax = sliceAxes(ctx, axes, starts.length, s.rank());
    sliceShapeValue(ctx, s, starts, ends, steps);
    List<Dim> out = new ArrayList<>(s.dims());
    for (int i = 0; i < ax.length; i++) {
      long step = steps == null ? 1 : steps[i];
      if (step == 0) {
        throw ctx.contradiction("step must not be zero");
      }
      Dim d = s.dim(ax[i]);
      if (d.isStatic()) {
        out.set(ax[i], Dim.of(resolve(d.size(), starts[i], ends[i], step).count()));
      } else {
        boolean whole = step == 1 && starts[i] == 0 && ends[i] >= TO_END;
        out.set(ax[i], whole ? d : Dim.UNKNOWN);
      }
    }
    return ShapeFns.tensor(ctx.dtype(0), Shape.of(out));
  }

  /** Slicing a shape vector keeps what is known of the elements it takes. */
  private static void sliceShapeValue(InferenceContext ctx, Shape s, long[] starts, long[] ends,
      long[] steps) {
    ShapeValue v = ctx.shapeValue(0);
    if (v == null || s.rank() != 1 || starts.length != 1) {
      return;
    }
    long step = steps == null ? 1 : steps[0];
    if (step == 0) {
      return;
    }
    SliceAxis sa = resolve(v.size(), starts[0], ends[0], step);
    int[] at = new int[(int) sa.count()];
    for (int i = 0; i < at.length; i++) {
      at[i] = (int) (sa.start() + i * step);
    }
    ctx.setShapeValue(0, v.select(at));
  }

  private static NdArray slice(KernelContext ctx, NdArray x, long[] starts, long[] ends,
      long[] axes, long[] steps) {
    if (starts.length != ends.length || (steps != null && steps.length != starts.length)) {
      throw ctx.error("starts, ends and steps must have the same length");
    }
    int rank = x.rank();
    int[] ax = sliceAxes(ctx, axes, starts.length, rank);
    int[] st = Strided.strides(x.dims());
    long[] outDims = x.dims();
    int[] outStrides = st.clone();
    long offset = 0;
    for (int i = 0; i < ax.length; i++) {
      long step = steps == null ? 1 : steps[i];
      if (step == 0) {
        throw ctx.error("step must not be zero");
      }
      int a = ax[i];
      SliceAxis sa = resolve(x.dim(a), starts[i], ends[i], step);
      outDims[a] = sa.count();
      if (sa.count() > 0) {
        offset += sa.start() * st[a];
        outStrides[a] = (int) (st[a] * step);
      }
    }
    return Strided.view(x, (int) offset, outStrides, ctx.output(0, x.dtype(), outDims));
  }

  private static void registerPad(OpRegistrar r) {
    r.op("Pad", 2).requiredAttr("pads").attr("mode", "constant").attr("value", 0.0f)
        .shape(ctx -> padShape(ctx, ctx.attrLongs("pads"), null, true))
        .kernel(ctx -> {
          NdArray x = ctx.tensor(0);
          NdArray v = NdArray.fromDoubles(x.dtype() == DType.STRING ? DType.FLOAT : x.dtype(),
              new long[0], new double[] {ctx.attrFloat("value")});
          return one(pad(ctx, x, ctx.attrLongs("pads"), null, v));
        });
    for (int since : new int[] {11, 18, 19}) {
      r.op("Pad", since).inputs(2, since >= 18 ? 4 : 3).attr("mode", "constant")
          .shape(ctx -> padShape(ctx, ctx.constantLongs(1), ctx.constantLongs(3),
              !ctx.hasInput(3) || ctx.constantLongs(3) != null))
          .kernel(ctx -> {
            NdArray x = ctx.tensor(0);
            NdArray v = ctx.optionalTensor(2);
            if (v != null && v.size() != 1) {
              throw ctx.error("constant_value must hold one element, has shape " + v.shape());
            }
            if (v != null && v.dtype() != x.dtype()) {
              throw ctx.error("constant_value has type " + v.dtype().textName()
                  + " but data has " + x.dtype().textName());
            }
            return one(pad(ctx, x, ctx.longs(1), ctx.longs(3), v));
          });
    }
  }

  private static int[] axesOrAll(NodeContext ctx, long[] axes, int rank) {
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

  /** Full-rank pads [begin..., end...] from pads over {@code axes} (or all axes). */
  private static long[] fullPads(NodeContext ctx, long[] pads, long[] axes, int rank) {
    int[] ax = axesOrAll(ctx, axes, rank);
    if (pads.length != 2 * ax.length) {
      throw ctx.error("pads has " + pads.length + " entries, expected " + 2 * ax.length);
    }
    long[] full = new long[2 * rank];
    for (int i = 0; i < ax.length; i++) {
      full[ax[i]] = pads[i];
      full[ax[i] + rank] = pads[i + ax.length];
    }
    return full;
  }

  private static List<ValueType> padShape(InferenceContext ctx, long[] pads, long[] axes,
      boolean axesKnown) {
    Shape s = ctx.shape(0);
    if (!s.hasRank()) {
      return ShapeFns.tensor(ctx.dtype(0), s);
    }
    if (pads == null || !axesKnown) {
      return ShapeFns.tensor(ctx.dtype(0), ShapeFns.unknownDims(s.rank()));
    }
    int rank = s.rank();
    long[] full = fullPads(ctx, pads, axes, rank);
    Dim[] out = new Dim[rank];
    for (int i = 0; i < rank; i++) {
      long add = full[i] + full[i + rank];
      Dim d = s.dim(i);
      out[i] = add == 0 ? d : d.isStatic() ? Dim.of(d.size() + add) : Dim.UNKNOWN;
    }
    return ShapeFns.tensor(ctx.dtype(0), Shape.of(out));
  }

  private static NdArray pad(NodeContext ctx, NdArray x, long[] pads, long[] axes,
      NdArray value) {
    int rank = x.rank();
    long[] full = fullPads(ctx, pads, axes, rank);
    long[] in = x.dims();
    long[] out = new long[rank];
    for (int i = 0; i < rank; i++) {
      out[i] = in[i] + full[i] + full[i + rank];
      if (out[i] < 0) {
        throw ctx.error("pads " + Arrays.toString(pads) + " crop axis " + i + " of size " + in[i]
            + " below zero");
      }
    }
    String mode = ctx.attrString("mode");
    return switch (mode) {
      case "constant" -> padConstant(x, full, out, value);
      case "reflect", "edge", "wrap" -> padIndexed(ctx, x, full, out, mode);
      default -> throw ctx.error("unknown pad mode '" + mode + "'");
    };
  }

  private static NdArray padConstant(NdArray x, long[] full, long[] out, NdArray value) {
    int rank = x.rank();
    NdArray result = value == null ? NdArray.allocate(x.dtype(), out)
        : Strided.filled(x.dtype(), out, Kernels.convert(value, x.dtype()));
    int[] src = Strided.strides(x.dims());
    int[] dst = Strided.strides(out);
    long[] copy = new long[rank];
    long so = 0;
    long dOff = 0;
    for (int i = 0; i < rank; i++) {
      long cutBegin = Math.max(0, -full[i]);
      long cutEnd = Math.max(0, -full[i + rank]);
      copy[i] = Math.max(0, x.dim(i) - cutBegin - cutEnd);
      so += cutBegin * src[i];
      dOff += Math.max(0, full[i]) * dst[i];
    }
    Strided.copy(x.data(), (int) so, src, result.data(), (int) dOff, dst, copy);
    return result;
  }

  /** Reflect, edge and wrap padding: each output index maps to an input index per axis. */
  private static NdArray padIndexed(NodeContext ctx, NdArray x, long[] full, long[] out,
      String mode) {
    int rank = x.rank();
    int[] st = Strided.strides(x.dims());
    int[][] maps = new int[rank][];
    for (int a = 0; a < rank; a++) {
      long d = x.dim(a);
      maps[a] = new int[(int) out[a]];
      if (d == 0 && out[a] > 0) {
        throw ctx.error("cannot " + mode + "-pad axis " + a + " of size 0");
      }
      for (int o = 0; o < out[a]; o++) {
        long i = o - full[a];
        i = switch (mode) {
          case "edge" -> Math.min(Math.max(i, 0), d - 1);
          case "wrap" -> Math.floorMod(i, d);
          default -> reflect(i, d);
        };
        maps[a][o] = (int) (i * st[a]);
      }
    }
    int n = NdArray.checkedSize(out);
    int[] index = new int[n];
    int[] counter = new int[rank];
    for (int k = 0; k < n; k++) {
      int off = 0;
      for (int a = 0; a < rank; a++) {
        off += maps[a][counter[a]];
      }
      index[k] = off;
      for (int a = rank - 1; a >= 0; a--) {
        if (++counter[a] < out[a]) {
          break;
        }
        counter[a] = 0;
      }
    }
    return Strided.take(x, index, out);
  }

  /** Numpy-style reflection (edge not repeated), folding as often as needed. */
  private static long reflect(long i, long d) {
    if (d == 1) {
      return 0;
    }
    long period = 2 * (d - 1);
    long m = Math.floorMod(i, period);
    return m < d ? m : period - m;
  }

  private static List<RuntimeValue> centerCropPad(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    long[] target = ctx.longs(1);
    int rank = x.rank();
    int[] axes = axesOrAll(ctx, ctx.attrLongs("axes"), rank);
    if (target.length != axes.length) {
      throw ctx.error("shape has " + target.length + " entries for " + axes.length + " axes");
    }
    long[] full = new long[2 * rank];
    for (int i = 0; i < axes.length; i++) {
      int a = axes[i];
      long diff = target[i] - x.dim(a);
      // Cropping takes the floor half off the start; padding puts the floor half before.
      long begin = diff >= 0 ? diff / 2 : -((-diff) / 2);
      full[a] = begin;
      full[a + rank] = diff - begin;
    }
    long[] out = x.dims();
    for (int i = 0; i < axes.length; i++) {
      out[axes[i]] = target[i];
    }
    return one(padConstant(x, full, out, null));
  }
}
