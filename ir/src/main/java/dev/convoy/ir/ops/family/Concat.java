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
import dev.convoy.ir.ops.RuntimeValue;
import dev.convoy.ir.ops.ShapeFns;
import dev.convoy.ir.ops.ShapeValue;
import dev.convoy.ir.ops.runtime.Strided;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Concat and its inverse Split (equal parts, a split input or attribute, num_outputs). Each is a
 * {@link Strided} copy into or out of a region of the larger tensor; Concat's shape function
 * keeps symbolic dims on the other axes and concatenates known shape vectors.
 */
public final class Concat implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    r.op("Concat", 1).variadicInputs(1).attr("axis", 1L).shape(Concat::concatShape)
        .kernel(Concat::concat);
    r.op("Concat", 4).variadicInputs(1).requiredAttr("axis").shape(Concat::concatShape)
        .kernel(Concat::concat);
    registerSplit(r);
  }

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
            out.set(k, Layout.mergeDim(ctx, out.get(k), s.dim(k)));
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
    NdArray result = ctx.output(0, first.dtype(), out);
    int[] dst = Strided.strides(out);
    long offset = 0;
    for (int i = 0; i < ctx.inputCount(); i++) {
      NdArray a = ctx.tensor(i);
      Strided.copy(a.array(), a.offset(), Strided.strides(a.dims()), result.array(),
          result.offset() + (int) (offset * dst[axis]), dst, a.dims());
      offset += a.dim(axis);
    }
    return one(result);
  }

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
}
