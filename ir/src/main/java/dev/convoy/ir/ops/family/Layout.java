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
import dev.convoy.ir.ops.ShapeInferenceException;
import dev.convoy.ir.ops.ShapeValue;
import dev.convoy.ir.ops.runtime.Strided;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Data-movement ops that rearrange elements: Transpose, Concat, Split, Slice, Tile, Pad,
 * DepthToSpace, SpaceToDepth and CenterCropPad. Every kernel is a {@link Strided} copy (a
 * strided view, or a copy into a region of the output), so no kernel touches elements one by one
 * through a generic accessor. Shape functions keep symbolic dims where an op passes a dim
 * through (Transpose permutes them, Concat keeps the other axes, Slice of a whole axis keeps it).
 */
public final class Layout implements OpFamily {
  /** Slice ends at or beyond this mean "to the end" for a symbolic dim. */
  private static final long TO_END = Integer.MAX_VALUE;

  @Override
  public void register(OpRegistrar r) {
    r.op("Transpose", 1).optionalAttr("perm").shape(Layout::transposeShape)
        .kernel(ctx -> {
          NdArray x = ctx.tensor(0);
          return one(transpose(x, perm(ctx, ctx.attrLongs("perm"), x.rank())));
        });
    r.op("Concat", 1).variadicInputs(1).attr("axis", 1L).shape(Layout::concatShape)
        .kernel(Layout::concat);
    r.op("Concat", 4).variadicInputs(1).requiredAttr("axis").shape(Layout::concatShape)
        .kernel(Layout::concat);
    registerSplit(r);
    registerSlice(r);
    r.op("Tile", 6).inputs(2).shape(Layout::tileShape).kernel(ctx -> {
      NdArray x = ctx.tensor(0);
      long[] reps = ctx.longs(1);
      if (reps.length != x.rank()) {
        throw ctx.error("repeats has " + reps.length + " entries for a rank-" + x.rank()
            + " input");
      }
      return one(tile(ctx, x, reps));
    });
    registerPad(r);
    registerDepthSpace(r);
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
    }).kernel(Layout::centerCropPad);
  }

  // ---- Transpose ----

  private static int[] perm(NodeContext ctx, long[] perm, int rank) {
    int[] p = new int[rank];
    if (perm == null) {
      for (int i = 0; i < rank; i++) {
        p[i] = rank - 1 - i;
      }
      return p;
    }
    if (perm.length != rank) {
      throw ctx.error("perm " + Arrays.toString(perm) + " does not fit rank " + rank);
    }
    boolean[] seen = new boolean[rank];
    for (int i = 0; i < rank; i++) {
      int a = ctx.axis(perm[i], rank);
      if (seen[a]) {
        throw ctx.error("perm " + Arrays.toString(perm) + " is not a permutation");
      }
      seen[a] = true;
      p[i] = a;
    }
    return p;
  }

  private static List<ValueType> transposeShape(InferenceContext ctx) {
    Shape s = ctx.shape(0);
    if (!s.hasRank()) {
      long[] p = ctx.attrLongs("perm");
      return ShapeFns.tensor(ctx.dtype(0),
          p == null ? Shape.unknownRank() : ShapeFns.unknownDims(p.length));
    }
    int[] p = perm(ctx, ctx.attrLongs("perm"), s.rank());
    Dim[] out = new Dim[p.length];
    for (int i = 0; i < p.length; i++) {
      out[i] = s.dim(p[i]);
    }
    return ShapeFns.tensor(ctx.dtype(0), Shape.of(out));
  }

  /** {@code x} with axes permuted: output axis i is input axis {@code perm[i]}. */
  static NdArray transpose(NdArray x, int[] perm) {
    int[] st = Strided.strides(x.dims());
    long[] outDims = new long[perm.length];
    int[] outStrides = new int[perm.length];
    boolean identity = true;
    for (int i = 0; i < perm.length; i++) {
      outDims[i] = x.dim(perm[i]);
      outStrides[i] = st[perm[i]];
      identity &= perm[i] == i;
    }
    return identity ? x : Strided.view(x, 0, outStrides, outDims);
  }

  // ---- Concat ----

  private static List<ValueType> concatShape(InferenceContext ctx) {
    DType t = ShapeFns.firstDType(ctx);
    List<Dim> out = null;
    int rank = -1;
    for (int i = 0; i < ctx.inputCount(); i++) {
      Shape s = ctx.shape(i);
      if (s.hasRank()) {
        if (rank >= 0 && rank != s.rank()) {
          throw ctx.contradiction("inputs have ranks " + rank + " and " + s.rank());
        }
        rank = s.rank();
      }
    }
    if (rank < 0) {
      return ShapeFns.tensor(t, Shape.unknownRank());
    }
    int axis = ctx.axis(ctx.attrLong("axis"), rank);
    concatShapeValue(ctx, rank);
    Dim sum = Dim.of(0);
    for (int i = 0; i < ctx.inputCount(); i++) {
      Shape s = ctx.shape(i);
      if (!s.hasRank()) {
        sum = Dim.UNKNOWN;
        continue;
      }
      if (out == null) {
        out = new ArrayList<>(s.dims());
      } else {
        for (int k = 0; k < rank; k++) {
          if (k != axis) {
            out.set(k, mergeDim(ctx, out.get(k), s.dim(k)));
          }
        }
      }
      Dim d = s.dim(axis);
      sum = sum.isStatic() && d.isStatic() ? Dim.of(sum.size() + d.size())
          : sum.isStatic() && sum.size() == 0 ? d
          : d.isStatic() && d.size() == 0 ? sum : Dim.UNKNOWN;
    }
    out.set(axis, sum);
    return ShapeFns.tensor(t, Shape.of(out));
  }

  /** Concatenated shape vectors keep what is known of each element. */
  private static void concatShapeValue(InferenceContext ctx, int rank) {
    if (rank != 1) {
      return;
    }
    List<ShapeValue> parts = new ArrayList<>();
    for (int i = 0; i < ctx.inputCount(); i++) {
      ShapeValue v = ctx.shapeValue(i);
      if (v == null) {
        return;
      }
      parts.add(v);
    }
    ctx.setShapeValue(0, ShapeValue.concat(parts));
  }

  /** Two dims that must be equal: the more specific one; a contradiction when both static differ. */
  static Dim mergeDim(NodeContext ctx, Dim a, Dim b) {
    if (a.isStatic() && b.isStatic() && a.size() != b.size()) {
      throw new ShapeInferenceException("dims " + a + " and " + b + " must be equal");
    }
    if (a.isStatic()) {
      return a;
    }
    if (b.isStatic() || a instanceof Dim.Unknown) {
      return b;
    }
    return a;
  }

  private static List<RuntimeValue> concat(KernelContext ctx) {
    NdArray first = ctx.tensor(0);
    int rank = first.rank();
    int axis = ctx.axis(ctx.attrLong("axis"), rank);
    long[] out = first.dims();
    out[axis] = 0;
    for (int i = 0; i < ctx.inputCount(); i++) {
      NdArray a = ctx.tensor(i);
      if (a.dtype() != first.dtype()) {
        throw ctx.error("inputs have element types " + first.dtype().textName() + " and "
            + a.dtype().textName());
      }
      if (a.rank() != rank) {
        throw ctx.error("inputs have shapes " + first.shape() + " and " + a.shape());
      }
      for (int k = 0; k < rank; k++) {
        if (k != axis && a.dim(k) != first.dim(k)) {
          throw ctx.error("inputs have shapes " + first.shape() + " and " + a.shape()
              + ", which differ off axis " + axis);
        }
      }
      out[axis] += a.dim(axis);
    }
    if (ctx.inputCount() == 1) {
      return one(first);
    }
    NdArray result = NdArray.allocate(first.dtype(), out);
    int[] dst = Strided.strides(out);
    long offset = 0;
    for (int i = 0; i < ctx.inputCount(); i++) {
      NdArray a = ctx.tensor(i);
      Strided.copy(a.data(), 0, Strided.strides(a.dims()), result.data(),
          (int) (offset * dst[axis]), dst, a.dims());
      offset += a.dim(axis);
    }
    return one(result);
  }

  // ---- Split ----

  private static void registerSplit(OpRegistrar r) {
    r.op("Split", 1).inputs(1, 2).outputs(1, Integer.MAX_VALUE).attr("axis", 0L)
        .optionalAttr("split")
        .shape(ctx -> splitShapes(ctx, ctx.hasInput(1) ? ctx.constantLongs(1)
            : ctx.attrLongs("split"), ctx.hasInput(1) && ctx.constantLongs(1) == null))
        .kernel(ctx -> split(ctx, ctx.hasInput(1) ? ctx.longs(1) : ctx.attrLongs("split")));
    r.op("Split", 2).outputs(1, Integer.MAX_VALUE).attr("axis", 0L).optionalAttr("split")
        .shape(ctx -> splitShapes(ctx, ctx.attrLongs("split"), false))
        .kernel(ctx -> split(ctx, ctx.attrLongs("split")));
    r.op("Split", 13).inputs(1, 2).outputs(1, Integer.MAX_VALUE).attr("axis", 0L)
        .shape(ctx -> splitShapes(ctx, ctx.constantLongs(1),
            ctx.hasInput(1) && ctx.constantLongs(1) == null))
        .kernel(ctx -> split(ctx, ctx.longs(1)));
    r.op("Split", 18).inputs(1, 2).outputs(1, Integer.MAX_VALUE).attr("axis", 0L)
        .optionalAttr("num_outputs")
        .shape(ctx -> splitShapes(ctx, ctx.constantLongs(1),
            ctx.hasInput(1) && ctx.constantLongs(1) == null))
        .kernel(ctx -> split(ctx, ctx.longs(1)));
  }

  /** The part sizes of a Split of an axis of size {@code dim} with no explicit split. */
  private static long[] equalParts(NodeContext ctx, long dim) {
    int n = ctx.outputCount();
    if (ctx.def().attribute("num_outputs") != null && ctx.hasAttr("num_outputs")) {
      long k = ctx.attrLong("num_outputs");
      if (k != n) {
        throw ctx.error("num_outputs is " + k + " but the node has " + n + " outputs");
      }
      long chunk = (dim + k - 1) / k;
      long[] parts = new long[n];
      long left = dim;
      for (int i = 0; i < n; i++) {
        parts[i] = Math.min(chunk, Math.max(left, 0));
        left -= parts[i];
      }
      return parts;
    }
    if (dim % n != 0) {
      throw ctx.error("axis of size " + dim + " does not split evenly into " + n + " outputs");
    }
    long[] parts = new long[n];
    Arrays.fill(parts, dim / n);
    return parts;
  }

  private static List<ValueType> splitShapes(InferenceContext ctx, long[] split,
      boolean splitUnknown) {
    Shape s = ctx.shape(0);
    DType t = ctx.dtype(0);
    if (t == null || !s.hasRank()) {
      return null;
    }
    int axis = ctx.axis(ctx.attrLong("axis"), s.rank());
    Dim d = s.dim(axis);
    long[] parts = null;
    if (split != null && split.length > 0) {
      parts = split;
    } else if (!splitUnknown && d.isStatic()) {
      parts = equalParts(ctx, d.size());
    }
    List<ValueType> out = new ArrayList<>();
    for (int i = 0; i < ctx.outputCount(); i++) {
      List<Dim> dims = new ArrayList<>(s.dims());
      dims.set(axis, parts != null && i < parts.length ? Dim.of(parts[i]) : Dim.UNKNOWN);
      out.add(new ValueType.TensorType(t, Shape.of(dims)));
    }
    return out;
  }

  private static List<RuntimeValue> split(KernelContext ctx, long[] split) {
    NdArray x = ctx.tensor(0);
    int axis = ctx.axis(ctx.attrLong("axis"), x.rank());
    long dim = x.dim(axis);
    long[] parts = split != null && split.length > 0 ? split : equalParts(ctx, dim);
    if (parts.length != ctx.outputCount()) {
      throw ctx.error("split has " + parts.length + " parts but the node has "
          + ctx.outputCount() + " outputs");
    }
    long total = 0;
    for (long p : parts) {
      if (p < 0) {
        throw ctx.error("split " + Arrays.toString(parts) + " has a negative part");
      }
      total += p;
    }
    if (total != dim) {
      throw ctx.error("split " + Arrays.toString(parts) + " sums to " + total
          + ", not the axis size " + dim);
    }
    int[] st = Strided.strides(x.dims());
    List<RuntimeValue> out = new ArrayList<>();
    long at = 0;
    for (long p : parts) {
      long[] dims = x.dims();
      dims[axis] = p;
      out.add(Strided.view(x, (int) (at * st[axis]), st, dims));
      at += p;
    }
    return out;
  }

  // ---- Slice ----

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

  private static NdArray slice(NodeContext ctx, NdArray x, long[] starts, long[] ends,
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
    return Strided.view(x, (int) offset, outStrides, outDims);
  }

  // ---- Tile ----

  private static List<ValueType> tileShape(InferenceContext ctx) {
    Shape s = ctx.shape(0);
    long[] reps = ctx.constantLongs(1);
    if (!s.hasRank()) {
      return ShapeFns.tensor(ctx.dtype(0), s);
    }
    if (reps == null) {
      return ShapeFns.tensor(ctx.dtype(0), ShapeFns.unknownDims(s.rank()));
    }
    if (reps.length != s.rank()) {
      throw ctx.contradiction("repeats has " + reps.length + " entries for rank " + s.rank());
    }
    Dim[] out = new Dim[reps.length];
    for (int i = 0; i < reps.length; i++) {
      Dim d = s.dim(i);
      out[i] = reps[i] == 1 ? d : d.isStatic() ? Dim.of(d.size() * reps[i])
          : reps[i] == 0 ? Dim.of(0) : Dim.UNKNOWN;
    }
    return ShapeFns.tensor(ctx.dtype(0), Shape.of(out));
  }

  /** Tile as one strided view: dims [r0,d0,r1,d1,...] with stride 0 on the repeat dims. */
  private static NdArray tile(NodeContext ctx, NdArray x, long[] reps) {
    int rank = x.rank();
    int[] st = Strided.strides(x.dims());
    long[] viewDims = new long[2 * rank];
    int[] viewStrides = new int[2 * rank];
    long[] out = new long[rank];
    for (int i = 0; i < rank; i++) {
      if (reps[i] < 0) {
        throw ctx.error("repeats must not be negative, got " + Arrays.toString(reps));
      }
      viewDims[2 * i] = reps[i];
      viewDims[2 * i + 1] = x.dim(i);
      viewStrides[2 * i + 1] = st[i];
      out[i] = reps[i] * x.dim(i);
    }
    return Strided.view(x, 0, viewStrides, viewDims).reshape(out);
  }

  // ---- Pad ----

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

  // ---- DepthToSpace, SpaceToDepth ----

  private static void registerDepthSpace(OpRegistrar r) {
    r.op("DepthToSpace", 1).requiredAttr("blocksize")
        .shape(ctx -> depthSpaceShape(ctx, true)).kernel(ctx -> one(depthToSpace(ctx, "DCR")));
    r.op("DepthToSpace", 11).requiredAttr("blocksize").attr("mode", "DCR")
        .shape(ctx -> depthSpaceShape(ctx, true))
        .kernel(ctx -> one(depthToSpace(ctx, ctx.attrString("mode"))));
    r.op("SpaceToDepth", 1).requiredAttr("blocksize")
        .shape(ctx -> depthSpaceShape(ctx, false)).kernel(ctx -> {
          NdArray x = ctx.tensor(0);
          long b = ctx.attrLong("blocksize");
          long[] d = rank4(ctx, x);
          if (b <= 0 || d[2] % b != 0 || d[3] % b != 0) {
            throw ctx.error("blocksize " + b + " does not divide the spatial dims of "
                + x.shape());
          }
          NdArray v = x.reshape(new long[] {d[0], d[1], d[2] / b, b, d[3] / b, b});
          return one(transpose(v, new int[] {0, 3, 5, 1, 2, 4})
              .reshape(new long[] {d[0], d[1] * b * b, d[2] / b, d[3] / b}));
        });
  }

  private static long[] rank4(NodeContext ctx, NdArray x) {
    if (x.rank() != 4) {
      throw ctx.error("input must have rank 4, has shape " + x.shape());
    }
    return x.dims();
  }

  private static NdArray depthToSpace(KernelContext ctx, String mode) {
    NdArray x = ctx.tensor(0);
    long b = ctx.attrLong("blocksize");
    long[] d = rank4(ctx, x);
    if (b <= 0 || d[1] % (b * b) != 0) {
      throw ctx.error("blocksize " + b + " squared does not divide the channels of " + x.shape());
    }
    long c = d[1] / (b * b);
    long[] out = {d[0], c, d[2] * b, d[3] * b};
    return switch (mode) {
      case "DCR" -> transpose(x.reshape(new long[] {d[0], b, b, c, d[2], d[3]}),
          new int[] {0, 3, 4, 1, 5, 2}).reshape(out);
      case "CRD" -> transpose(x.reshape(new long[] {d[0], c, b, b, d[2], d[3]}),
          new int[] {0, 1, 4, 2, 5, 3}).reshape(out);
      default -> throw ctx.error("mode must be DCR or CRD, is '" + mode + "'");
    };
  }

  private static List<ValueType> depthSpaceShape(InferenceContext ctx, boolean toSpace) {
    Shape s = ctx.shape(0);
    if (!s.hasRank()) {
      return ShapeFns.tensor(ctx.dtype(0), ShapeFns.unknownDims(4));
    }
    if (s.rank() != 4) {
      throw ctx.contradiction("input must have rank 4, has shape " + s);
    }
    long b = ctx.attrLong("blocksize");
    Dim[] out = {s.dim(0), Dim.UNKNOWN, Dim.UNKNOWN, Dim.UNKNOWN};
    Dim c = s.dim(1);
    Dim h = s.dim(2);
    Dim w = s.dim(3);
    if (toSpace) {
      out[1] = c.isStatic() ? Dim.of(c.size() / (b * b)) : Dim.UNKNOWN;
      out[2] = h.isStatic() ? Dim.of(h.size() * b) : Dim.UNKNOWN;
      out[3] = w.isStatic() ? Dim.of(w.size() * b) : Dim.UNKNOWN;
    } else {
      out[1] = c.isStatic() ? Dim.of(c.size() * b * b) : Dim.UNKNOWN;
      out[2] = h.isStatic() ? Dim.of(h.size() / b) : Dim.UNKNOWN;
      out[3] = w.isStatic() ? Dim.of(w.size() / b) : Dim.UNKNOWN;
    }
    return ShapeFns.tensor(ctx.dtype(0), Shape.of(out));
  }

  // ---- CenterCropPad ----

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
