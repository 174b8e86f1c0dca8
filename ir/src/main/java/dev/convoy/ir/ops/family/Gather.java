package dev.convoy.ir.ops.family;

import static dev.convoy.ir.ops.Kernels.one;

import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.InferenceContext;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.ShapeFns;
import dev.convoy.ir.ops.ShapeValue;
import dev.convoy.ir.ops.runtime.Strided;
import java.util.ArrayList;
import java.util.List;

/**
 * Ops that read elements at computed positions: Gather, GatherElements and GatherND. Negative
 * indices count from the end as ONNX allows; an index out of range is an error naming the node.
 */
public final class Gather implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    for (int since : new int[] {1, 11, 13}) {
      r.op("Gather", since).inputs(2).attr("axis", 0L).shape(Gather::gatherShape)
          .kernel(ctx -> one(gather(ctx, ctx.tensor(0), ctx.tensor(1), ctx.attrLong("axis"))));
    }
    for (int since : new int[] {11, 13}) {
      r.op("GatherElements", since).inputs(2).attr("axis", 0L)
          .shape(ctx -> ShapeFns.tensor(ctx.dtype(0), ctx.shape(1)))
          .kernel(ctx -> one(gatherElements(ctx)));
    }
    r.op("GatherND", 11).inputs(2).shape(ctx -> gatherNdShape(ctx, 0))
        .kernel(ctx -> one(gatherNd(ctx, 0)));
    for (int since : new int[] {12, 13}) {
      r.op("GatherND", since).inputs(2).attr("batch_dims", 0L)
          .shape(ctx -> gatherNdShape(ctx, ctx.attrInt("batch_dims")))
          .kernel(ctx -> one(gatherNd(ctx, ctx.attrInt("batch_dims"))));
    }
  }

  private static List<ValueType> gatherShape(InferenceContext ctx) {
    Shape data = ctx.shape(0);
    Shape idx = ctx.shape(1);
    if (!data.hasRank() || !idx.hasRank()) {
      return ShapeFns.tensor(ctx.dtype(0), Shape.unknownRank());
    }
    int axis = ctx.axis(ctx.attrLong("axis"), data.rank());
    gatherShapeValue(ctx, data, axis);
    List<Dim> out = new ArrayList<>(data.dims().subList(0, axis));
    out.addAll(idx.dims());
    out.addAll(data.dims().subList(axis + 1, data.rank()));
    return ShapeFns.tensor(ctx.dtype(0), Shape.of(out));
  }

  /** Gathering from a shape vector with constant indices picks those (maybe symbolic) dims. */
  private static void gatherShapeValue(InferenceContext ctx, Shape data, int axis) {
    ShapeValue v = ctx.shapeValue(0);
    long[] idx = ctx.constantLongs(1);
    if (v == null || idx == null || axis != 0 || data.rank() != 1) {
      return;
    }
    int[] at = new int[idx.length];
    for (int i = 0; i < idx.length; i++) {
      long k = idx[i] < 0 ? idx[i] + v.size() : idx[i];
      if (k < 0 || k >= v.size()) {
        return;
      }
      at[i] = (int) k;
    }
    ctx.setShapeValue(0, v.select(at));
  }

  static NdArray gather(KernelContext ctx, NdArray data, NdArray indexArray, long axisAttr) {
    int axis = ctx.axis(axisAttr, data.rank());
    if (!indexArray.dtype().isInteger()) {
      throw ctx.error("indices must be integers, are " + indexArray.describe());
    }
    long[] idx = indexArray.toLongs();
    long[] d = data.dims();
    long dim = d[axis];
    int outer = (int) Shape.product(d, 0, axis);
    int inner = (int) Shape.product(d, axis + 1, d.length);
    long[] outDims = new long[d.length - 1 + indexArray.rank()];
    System.arraycopy(d, 0, outDims, 0, axis);
    System.arraycopy(indexArray.dims(), 0, outDims, axis, indexArray.rank());
    System.arraycopy(d, axis + 1, outDims, axis + indexArray.rank(), d.length - axis - 1);
    int n = idx.length;
    int[] at = new int[n];
    for (int j = 0; j < n; j++) {
      at[j] = Indices.index(ctx, idx[j], dim);
    }
    NdArray out = NdArray.allocate(data.dtype(), outDims);
    Object src = data.data();
    Object dst = out.data();
    if (inner == 1) {
      int[] map = new int[outer * n];
      for (int o = 0, k = 0; o < outer; o++) {
        for (int j = 0; j < n; j++) {
          map[k++] = (int) (o * dim + at[j]);
        }
      }
      return Strided.take(data, map, outDims);
    }
    for (int o = 0; o < outer; o++) {
      for (int j = 0; j < n; j++) {
        System.arraycopy(src, (int) ((o * dim + at[j]) * inner), dst, (o * n + j) * inner, inner);
      }
    }
    return out;
  }

  private static NdArray gatherElements(KernelContext ctx) {
    NdArray data = ctx.tensor(0);
    NdArray idx = ctx.tensor(1);
    int axis = ctx.axis(ctx.attrLong("axis"), data.rank());
    int[] offsets = Indices.axisOffsets(ctx, idx.dims(), Indices.indices(ctx, 1), data.dims(), axis);
    return Strided.take(data, offsets, idx.dims());
  }

  private static List<ValueType> gatherNdShape(InferenceContext ctx, int batchDims) {
    Shape data = ctx.shape(0);
    Shape idx = ctx.shape(1);
    if (!data.hasRank() || !idx.hasRank() || idx.rank() == 0
        || !idx.dim(idx.rank() - 1).isStatic()) {
      return ShapeFns.tensor(ctx.dtype(0), Shape.unknownRank());
    }
    int k = (int) idx.dim(idx.rank() - 1).size();
    if (batchDims + k > data.rank()) {
      throw ctx.contradiction("index tuples of length " + k + " after " + batchDims
          + " batch dims exceed data rank " + data.rank());
    }
    List<Dim> out = new ArrayList<>(idx.dims().subList(0, idx.rank() - 1));
    out.addAll(data.dims().subList(batchDims + k, data.rank()));
    return ShapeFns.tensor(ctx.dtype(0), Shape.of(out));
  }

  private static NdArray gatherNd(KernelContext ctx, int batchDims) {
    NdArray data = ctx.tensor(0);
    NdArray idx = ctx.tensor(1);
    long[] dd = data.dims();
    long[] id = idx.dims();
    int[] offsets = Indices.tupleOffsets(ctx, dd, id, Indices.indices(ctx, 1), batchDims);
    int k = (int) id[id.length - 1];
    int block = (int) Shape.product(dd, batchDims + k, dd.length);
    long[] outDims = new long[id.length - 1 + dd.length - batchDims - k];
    System.arraycopy(id, 0, outDims, 0, id.length - 1);
    System.arraycopy(dd, batchDims + k, outDims, id.length - 1, dd.length - batchDims - k);
    NdArray out = NdArray.allocate(data.dtype(), outDims);
    for (int t = 0; t < offsets.length; t++) {
      System.arraycopy(data.data(), offsets[t], out.data(), t * block, block);
    }
    return out;
  }
}
