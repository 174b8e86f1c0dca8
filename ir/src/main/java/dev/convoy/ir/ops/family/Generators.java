package dev.convoy.ir.ops.family;

import static dev.convoy.ir.ops.Kernels.one;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.ValueType.TensorType;
import dev.convoy.ir.ops.ConstantValue;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.NodeContext;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.ShapeFns;
import dev.convoy.ir.ops.ShapeValue;
import dev.convoy.ir.ops.runtime.Strided;
import java.util.Arrays;
import java.util.List;

/**
 * Ops that make a tensor from attributes or a few scalars rather than from input data: Constant
 * (every value attribute, sparse values densified; the value is read by {@link ConstantValue},
 * the one reading the optimizer shares), ConstantOfShape and Range.
 */
public final class Generators implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    r.op("Constant", 1).inputs(0).optionalAttr("value").optionalAttr("sparse_value")
        .optionalAttr("value_float").optionalAttr("value_floats").optionalAttr("value_int")
        .optionalAttr("value_ints").optionalAttr("value_string").optionalAttr("value_strings")
        .shape(ctx -> {
          NdArray v = constantValue(ctx);
          return List.of(new TensorType(v.dtype(), v.shape()));
        })
        .kernel(ctx -> one(constantValue(ctx)));
    r.op("ConstantOfShape", 9).optionalAttr("value").shape(ctx -> {
      DType t = ctx.hasAttr("value") ? ctx.attrTensor("value").dtype() : DType.FLOAT;
      ShapeValue dims = ctx.shapeValue(0);
      if (dims != null) {
        return ShapeFns.tensor(t, Shape.of(dims.asDims()));
      }
      Shape s = ctx.shape(0);
      return ShapeFns.tensor(t, s.hasRank() && s.rank() == 1 && s.dim(0).isStatic()
          ? ShapeFns.unknownDims((int) s.dim(0).size()) : Shape.unknownRank());
    }).kernel(ctx -> {
      long[] dims = ctx.longs(0);
      NdArray fill = ctx.hasAttr("value") ? NdArray.fromTensor(ctx.attrTensor("value"))
          : NdArray.scalarFloat(0f);
      if (fill.size() != 1) {
        throw ctx.error("attribute 'value' must hold one element, has shape " + fill.shape());
      }
      for (long d : dims) {
        if (d < 0) {
          throw ctx.error("negative dimension in shape " + Arrays.toString(dims));
        }
      }
      return one(Strided.filled(fill.dtype(), dims, fill));
    });
    r.op("Range", 11).inputs(3).shape(ctx -> {
      NdArray s = ctx.constant(0);
      NdArray l = ctx.constant(1);
      NdArray d = ctx.constant(2);
      if (s != null && l != null && d != null && s.size() == 1 && l.size() == 1
          && d.size() == 1) {
        return ShapeFns.tensor(ctx.dtype(0), Shape.of(rangeCount(ctx, s, l, d)));
      }
      // Range(0, n, 1) over a dim n taken from a shape has n elements, symbolic or not.
      ShapeValue start = ctx.shapeValue(0);
      ShapeValue limit = ctx.shapeValue(1);
      ShapeValue delta = ctx.shapeValue(2);
      if (start != null && limit != null && delta != null && start.size() == 1
          && limit.size() == 1 && delta.size() == 1 && start.isNumber(0) && start.number(0) == 0
          && delta.isNumber(0) && delta.number(0) == 1) {
        return ShapeFns.tensor(ctx.dtype(0), Shape.of(limit.dim(0)));
      }
      return ShapeFns.tensor(ctx.dtype(0), Shape.of(Dim.UNKNOWN));
    }).kernel(ctx -> {
      NdArray s = ctx.tensor(0);
      NdArray l = ctx.tensor(1);
      NdArray d = ctx.tensor(2);
      for (int i = 0; i < 3; i++) {
        if (ctx.tensor(i).size() != 1) {
          throw ctx.error("input " + i + " must be a scalar, has shape " + ctx.tensor(i).shape());
        }
      }
      int n = (int) rangeCount(ctx, s, l, d);
      DType t = s.dtype();
      long[] dims = {n};
      if (t.isFloatingPoint()) {
        double start = s.getDouble(0);
        double delta = d.getDouble(0);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
          v[i] = start + i * delta;
        }
        return one(NdArray.fromDoubles(t, dims, v));
      }
      long start = s.getLong(0);
      long delta = d.getLong(0);
      long[] v = new long[n];
      for (int i = 0; i < n; i++) {
        v[i] = start + i * delta;
      }
      return one(NdArray.fromLongs(t, dims, v));
    });
  }

  private static long rangeCount(NodeContext ctx, NdArray s, NdArray l, NdArray d) {
    if (s.dtype().isFloatingPoint()) {
      double delta = d.getDouble(0);
      if (delta == 0) {
        throw ctx.error("delta must not be zero");
      }
      return (long) Math.max(Math.ceil((l.getDouble(0) - s.getDouble(0)) / delta), 0);
    }
    long delta = d.getLong(0);
    if (delta == 0) {
      throw ctx.error("delta must not be zero");
    }
    long span = l.getLong(0) - s.getLong(0);
    return Math.max(-Math.floorDiv(-span, delta), 0);
  }

  /** The value a Constant node holds, from whichever one of its value attributes it sets. */
  private static NdArray constantValue(NodeContext ctx) {
    Tensor t = ConstantValue.dense(ctx.node());
    return t != null ? fromTensor(ctx, t)
        : densify(ctx, (Attribute.SparseTensorAttr) ctx.attr("sparse_value"));
  }

  private static NdArray fromTensor(NodeContext ctx, Tensor t) {
    if (!t.dtype().isSupported()) {
      throw new dev.convoy.ir.UnsupportedOpException(
          ctx.where() + ": constant of element type " + t.dtype().textName() + " is not supported");
    }
    return NdArray.fromTensor(t);
  }

  /** A dense array from a sparse tensor: indices linearized [NNZ] or coordinates [NNZ, rank]. */
  private static NdArray densify(NodeContext ctx, Attribute.SparseTensorAttr sp) {
    NdArray values = fromTensor(ctx, sp.values());
    long[] idx = sp.indices().toLongArray();
    long[] dims = sp.dims();
    NdArray out = NdArray.allocate(values.dtype(), dims);
    int nnz = values.size();
    int rank = dims.length;
    boolean coords = sp.indices().rank() == 2;
    int[] strides = Strided.strides(dims);
    for (int i = 0; i < nnz; i++) {
      long at;
      if (coords) {
        at = 0;
        for (int k = 0; k < rank; k++) {
          at += idx[i * rank + k] * strides[k];
        }
      } else {
        at = idx[i];
      }
      if (at < 0 || at >= out.size()) {
        throw ctx.error("sparse_value index " + at + " is outside shape " + Shape.toString(dims));
      }
      Strided.row(values.data(), i, 1, out.data(), (int) at, 1, 1);
    }
    return out;
  }
}
