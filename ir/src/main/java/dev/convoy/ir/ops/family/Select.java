package dev.convoy.ir.ops.family;

import static dev.convoy.ir.ops.Kernels.one;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.InferenceContext;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.ShapeFns;
import dev.convoy.ir.ops.runtime.Strided;
import java.util.ArrayList;
import java.util.List;

/**
 * Ops that pick or place elements by a mask or a position: NonZero (the coordinates of nonzero
 * elements), Compress (the slices a boolean condition keeps) and OneHot (one value at each index
 * along a new axis, another elsewhere; negative indices count from the end).
 */
public final class Select implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    r.op("NonZero", 9).shape(ctx -> {
      Shape s = ctx.shape(0);
      return ShapeFns.tensor(DType.INT64,
          Shape.of(s.hasRank() ? Dim.of(s.rank()) : Dim.UNKNOWN, Dim.UNKNOWN));
    }).kernel(ctx -> one(nonZero(ctx.tensor(0))));
    for (int since : new int[] {9, 11}) {
      r.op("OneHot", since).inputs(3).attr("axis", -1L).shape(Select::oneHotShape)
          .kernel(ctx -> one(oneHot(ctx)));
      r.op("Compress", since).inputs(2).optionalAttr("axis").shape(ctx -> {
        Shape s = ctx.shape(0);
        if (!ctx.hasAttr("axis")) {
          return ShapeFns.tensor(ctx.dtype(0), Shape.of(Dim.UNKNOWN));
        }
        if (!s.hasRank()) {
          return ShapeFns.tensor(ctx.dtype(0), s);
        }
        List<Dim> d = new ArrayList<>(s.dims());
        d.set(ctx.axis(ctx.attrLong("axis"), s.rank()), Dim.UNKNOWN);
        return ShapeFns.tensor(ctx.dtype(0), Shape.of(d));
      }).kernel(ctx -> one(compress(ctx)));
    }
  }

  private static NdArray nonZero(NdArray x) {
    int n = x.size();
    int rank = x.rank();
    boolean[] nz = new boolean[n];
    int count = 0;
    boolean floats = x.dtype().isFloatingPoint();
    for (int i = 0; i < n; i++) {
      nz[i] = x.dtype() == DType.STRING ? x.strings()[i].length != 0
          : floats ? x.getDouble(i) != 0 : x.getLong(i) != 0;
      if (nz[i]) {
        count++;
      }
    }
    long[] out = new long[rank * count];
    long[] dims = x.dims();
    int[] counter = new int[rank];
    for (int i = 0, c = 0; i < n; i++) {
      if (nz[i]) {
        for (int k = 0; k < rank; k++) {
          out[k * count + c] = counter[k];
        }
        c++;
      }
      for (int k = rank - 1; k >= 0; k--) {
        if (++counter[k] < dims[k]) {
          break;
        }
        counter[k] = 0;
      }
    }
    return NdArray.ofLongs(new long[] {rank, count}, out);
  }

  private static List<ValueType> oneHotShape(InferenceContext ctx) {
    Shape s = ctx.shape(0);
    DType t = ctx.dtype(2);
    if (!s.hasRank()) {
      return ShapeFns.tensor(t, s);
    }
    int rank = s.rank() + 1;
    int axis = ctx.axis(ctx.attrLong("axis"), rank);
    NdArray depth = ctx.constant(1);
    List<Dim> out = new ArrayList<>(s.dims());
    out.add(axis, depth != null && depth.size() == 1 ? Dim.of((long) depth.getDouble(0))
        : Dim.UNKNOWN);
    return ShapeFns.tensor(t, Shape.of(out));
  }

  private static NdArray oneHot(KernelContext ctx) {
    NdArray ind = ctx.tensor(0);
    NdArray depthArr = ctx.tensor(1);
    NdArray values = ctx.tensor(2);
    if (depthArr.size() != 1) {
      throw ctx.error("depth must hold one element, has shape " + depthArr.shape());
    }
    if (values.size() != 2) {
      throw ctx.error("values must hold [off, on], has shape " + values.shape());
    }
    long depth = (long) depthArr.getDouble(0);
    if (depth <= 0) {
      throw ctx.error("depth must be positive, is " + depth);
    }
    int rank = ind.rank() + 1;
    int axis = ctx.axis(ctx.attrLong("axis"), rank);
    long[] id = ind.dims();
    long[] outDims = new long[rank];
    for (int i = 0, k = 0; i < rank; i++) {
      outDims[i] = i == axis ? depth : id[k++];
    }
    NdArray out = Strided.filled(values.dtype(), outDims, values);
    int inner = (int) Shape.product(id, axis, id.length);
    int outer = (int) Shape.product(id, 0, axis);
    boolean floats = ind.dtype().isFloatingPoint();
    for (int o = 0; o < outer; o++) {
      for (int i = 0; i < inner; i++) {
        int at = o * inner + i;
        long v = floats ? (long) ind.getDouble(at) : ind.getLong(at);
        if (v < 0) {
          v += depth;
        }
        if (v >= 0 && v < depth) {
          Strided.row(values.data(), 1, 1, out.data(), (int) ((o * depth + v) * inner + i), 1, 1);
        }
      }
    }
    return out;
  }

  private static NdArray compress(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    NdArray cond = ctx.tensor(1);
    if (cond.rank() != 1) {
      throw ctx.error("condition must be 1-D, has shape " + cond.shape());
    }
    boolean flat = !ctx.hasAttr("axis");
    long[] dims = flat ? new long[] {x.size()} : x.dims();
    int axis = flat ? 0 : ctx.axis(ctx.attrLong("axis"), x.rank());
    long dim = dims[axis];
    if (cond.size() > dim) {
      throw ctx.error("condition has " + cond.size() + " entries for an axis of size " + dim);
    }
    List<Integer> keep = new ArrayList<>();
    for (int i = 0; i < cond.size(); i++) {
      if (cond.getLong(i) != 0) {
        keep.add(i);
      }
    }
    int outer = (int) Shape.product(dims, 0, axis);
    int inner = (int) Shape.product(dims, axis + 1, dims.length);
    long[] outDims = dims.clone();
    outDims[axis] = keep.size();
    NdArray out = NdArray.allocate(x.dtype(), outDims);
    for (int o = 0, t = 0; o < outer; o++) {
      for (int j : keep) {
        System.arraycopy(x.data(), (int) ((o * dim + j) * inner), out.data(), t * inner, inner);
        t++;
      }
    }
    return out;
  }
}
