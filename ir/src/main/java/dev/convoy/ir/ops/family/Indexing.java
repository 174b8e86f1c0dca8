package dev.convoy.ir.ops.family;

import static dev.convoy.ir.ops.Kernels.one;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.ValueType.TensorType;
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
 * Ops that read or write elements at computed positions: Gather, GatherElements, GatherND,
 * Scatter, ScatterElements, ScatterND (with add/mul/max/min reductions), TensorScatter, NonZero,
 * OneHot, Compress, TopK and Unique. Negative indices count from the end as ONNX allows; an index
 * out of range is an error naming the node, never a wrapped read.
 */
public final class Indexing implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    for (int since : new int[] {1, 11, 13}) {
      r.op("Gather", since).inputs(2).attr("axis", 0L).shape(Indexing::gatherShape)
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
    r.op("Scatter", 9).inputs(3).attr("axis", 0L).shape(ShapeFns.sameAsInput(0))
        .kernel(ctx -> one(scatterElements(ctx, "none")));
    r.op("ScatterElements", 11).inputs(3).attr("axis", 0L).shape(ShapeFns.sameAsInput(0))
        .kernel(ctx -> one(scatterElements(ctx, "none")));
    r.op("ScatterND", 11).inputs(3).shape(ShapeFns.sameAsInput(0))
        .kernel(ctx -> one(scatterNd(ctx, "none")));
    for (int since : new int[] {16, 18}) {
      r.op("ScatterElements", since).inputs(3).attr("axis", 0L).attr("reduction", "none")
          .shape(ShapeFns.sameAsInput(0))
          .kernel(ctx -> one(scatterElements(ctx, ctx.attrString("reduction"))));
      r.op("ScatterND", since).inputs(3).attr("reduction", "none")
          .shape(ShapeFns.sameAsInput(0))
          .kernel(ctx -> one(scatterNd(ctx, ctx.attrString("reduction"))));
    }
    r.op("TensorScatter", 24).inputs(2, 3).attr("axis", -2L).attr("mode", "linear")
        .shape(ShapeFns.sameAsInput(0)).kernel(Indexing::tensorScatter);
    r.op("NonZero", 9).shape(ctx -> {
      Shape s = ctx.shape(0);
      return ShapeFns.tensor(DType.INT64,
          Shape.of(s.hasRank() ? Dim.of(s.rank()) : Dim.UNKNOWN, Dim.UNKNOWN));
    }).kernel(ctx -> one(nonZero(ctx.tensor(0))));
    for (int since : new int[] {9, 11}) {
      r.op("OneHot", since).inputs(3).attr("axis", -1L).shape(Indexing::oneHotShape)
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
    registerTopK(r);
    r.op("Unique", 11).outputs(1, 4).attr("sorted", 1L).optionalAttr("axis")
        .shape(Indexing::uniqueShape).kernel(Indexing::unique);
  }

  // ---- index helpers ----

  /** Index {@code i} normalized against an axis of size {@code dim}; an error when outside. */
  private static int index(NodeContext ctx, long i, long dim) {
    long v = i < 0 ? i + dim : i;
    if (v < 0 || v >= dim) {
      throw ctx.error("index " + i + " is out of range for an axis of size " + dim);
    }
    return (int) v;
  }

  private static long[] indices(KernelContext ctx, int input) {
    NdArray a = ctx.tensor(input);
    if (!a.dtype().isInteger()) {
      throw ctx.error("input " + input + " must hold integer indices, is " + a.describe());
    }
    return a.toLongs();
  }

  private static long prod(long[] dims, int from, int to) {
    long p = 1;
    for (int i = from; i < to; i++) {
      p *= dims[i];
    }
    return p;
  }

  // ---- Gather ----

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
    int outer = (int) prod(d, 0, axis);
    int inner = (int) prod(d, axis + 1, d.length);
    long[] outDims = new long[d.length - 1 + indexArray.rank()];
    System.arraycopy(d, 0, outDims, 0, axis);
    System.arraycopy(indexArray.dims(), 0, outDims, axis, indexArray.rank());
    System.arraycopy(d, axis + 1, outDims, axis + indexArray.rank(), d.length - axis - 1);
    int n = idx.length;
    int[] at = new int[n];
    for (int j = 0; j < n; j++) {
      at[j] = index(ctx, idx[j], dim);
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

  // ---- GatherElements, ScatterElements, Scatter ----

  /**
   * For each element of an index tensor of shape {@code idxDims}, the offset in a tensor of
   * shape {@code dims} it addresses along {@code axis} (its own position elsewhere).
   */
  private static int[] axisOffsets(NodeContext ctx, long[] idxDims, long[] idx, long[] dims,
      int axis) {
    if (idxDims.length != dims.length) {
      throw ctx.error("indices of rank " + idxDims.length + " do not match data of rank "
          + dims.length);
    }
    for (int k = 0; k < dims.length; k++) {
      if (k != axis && idxDims[k] > dims[k]) {
        throw ctx.error("indices shape " + Shape.toString(idxDims)
            + " exceeds data shape " + Shape.toString(dims) + " off the axis");
      }
    }
    int[] st = Strided.strides(dims);
    int rank = dims.length;
    int n = idx.length;
    int[] out = new int[n];
    int[] counter = new int[rank];
    int base = 0;
    for (int e = 0; e < n; e++) {
      out[e] = base + index(ctx, idx[e], dims[axis]) * st[axis];
      for (int k = rank - 1; k >= 0; k--) {
        counter[k]++;
        if (k != axis) {
          base += st[k];
        }
        if (counter[k] < idxDims[k]) {
          break;
        }
        if (k != axis) {
          base -= (int) (st[k] * idxDims[k]);
        }
        counter[k] = 0;
      }
    }
    return out;
  }

  private static NdArray gatherElements(KernelContext ctx) {
    NdArray data = ctx.tensor(0);
    NdArray idx = ctx.tensor(1);
    int axis = ctx.axis(ctx.attrLong("axis"), data.rank());
    int[] offsets = axisOffsets(ctx, idx.dims(), indices(ctx, 1), data.dims(), axis);
    return Strided.take(data, offsets, idx.dims());
  }

  private static NdArray scatterElements(KernelContext ctx, String reduction) {
    NdArray data = ctx.tensor(0);
    NdArray updates = ctx.tensor(2);
    NdArray idx = ctx.tensor(1);
    if (!Arrays.equals(idx.dims(), updates.dims())) {
      throw ctx.error("indices " + idx.shape() + " and updates " + updates.shape()
          + " must have the same shape");
    }
    int axis = ctx.axis(ctx.attrLong("axis"), data.rank());
    int[] offsets = axisOffsets(ctx, idx.dims(), indices(ctx, 1), data.dims(), axis);
    return scatter(ctx, data, updates, offsets, 1, reduction);
  }

  /**
   * A copy of {@code data} where block {@code j} of {@code block} elements of {@code updates}
   * is written at {@code offsets[j]}, combined by {@code reduction} (in update order).
   */
  private static NdArray scatter(NodeContext ctx, NdArray data, NdArray updates, int[] offsets,
      int block, String reduction) {
    if (updates.dtype() != data.dtype()) {
      throw ctx.error("updates have type " + updates.dtype().textName() + " but data has "
          + data.dtype().textName());
    }
    DType t = data.dtype();
    if (reduction.equals("none")) {
      NdArray out = NdArray.allocate(t, data.dims());
      System.arraycopy(data.data(), 0, out.data(), 0, data.size());
      for (int j = 0; j < offsets.length; j++) {
        Strided.row(updates.data(), j * block, 1, out.data(), offsets[j], 1, block);
      }
      return out;
    }
    if (t.isFloatingPoint()) {
      double[] acc = data.toDoubles().clone();
      double[] u = updates.toDoubles();
      java.util.function.DoubleBinaryOperator f = switch (reduction) {
        case "add" -> Double::sum;
        case "mul" -> (a, b) -> a * b;
        case "max" -> Math::max;
        case "min" -> Math::min;
        default -> throw ctx.error("unknown reduction '" + reduction + "'");
      };
      for (int j = 0; j < offsets.length; j++) {
        for (int e = 0; e < block; e++) {
          acc[offsets[j] + e] = f.applyAsDouble(acc[offsets[j] + e], u[j * block + e]);
        }
      }
      return NdArray.fromDoubles(t, data.dims(), acc);
    }
    if (t == DType.STRING) {
      throw ctx.error("reduction '" + reduction + "' does not apply to strings");
    }
    long[] acc = data.toLongs().clone();
    long[] u = updates.toLongs();
    boolean unsigned = t == DType.UINT64;
    java.util.function.LongBinaryOperator g = switch (reduction) {
      case "add" -> Long::sum;
      case "mul" -> (a, b) -> a * b;
      case "max" -> unsigned ? (a, b) -> Long.compareUnsigned(a, b) >= 0 ? a : b : Math::max;
      case "min" -> unsigned ? (a, b) -> Long.compareUnsigned(a, b) <= 0 ? a : b : Math::min;
      default -> throw ctx.error("unknown reduction '" + reduction + "'");
    };
    for (int j = 0; j < offsets.length; j++) {
      for (int e = 0; e < block; e++) {
        acc[offsets[j] + e] = g.applyAsLong(acc[offsets[j] + e], u[j * block + e]);
      }
    }
    return NdArray.fromLongs(t, data.dims(), acc);
  }

  // ---- GatherND, ScatterND ----

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

  /** Where each index tuple of a GatherND/ScatterND points, as element offsets into data. */
  private static int[] tupleOffsets(NodeContext ctx, long[] dataDims, long[] idxDims, long[] idx,
      int batchDims) {
    int q = idxDims.length;
    if (q == 0) {
      throw ctx.error("indices must have rank at least 1");
    }
    int k = (int) idxDims[q - 1];
    if (batchDims + k > dataDims.length) {
      throw ctx.error("index tuples of length " + k + " after " + batchDims
          + " batch dims exceed data rank " + dataDims.length);
    }
    for (int b = 0; b < batchDims; b++) {
      if (idxDims[b] != dataDims[b]) {
        throw ctx.error("batch dim " + b + " differs between data " + Shape.toString(dataDims)
            + " and indices " + Shape.toString(idxDims));
      }
    }
    int[] st = Strided.strides(dataDims);
    long batches = prod(dataDims, 0, batchDims);
    long perBatch = prod(idxDims, batchDims, q - 1);
    int batchStride = (int) prod(dataDims, batchDims, dataDims.length);
    int[] out = new int[(int) (batches * perBatch)];
    for (int b = 0, t = 0; b < batches; b++) {
      for (int m = 0; m < perBatch; m++, t++) {
        int off = b * batchStride;
        for (int j = 0; j < k; j++) {
          int a = batchDims + j;
          off += index(ctx, idx[t * k + j], dataDims[a]) * st[a];
        }
        out[t] = off;
      }
    }
    return out;
  }

  private static NdArray gatherNd(KernelContext ctx, int batchDims) {
    NdArray data = ctx.tensor(0);
    NdArray idx = ctx.tensor(1);
    long[] dd = data.dims();
    long[] id = idx.dims();
    int[] offsets = tupleOffsets(ctx, dd, id, indices(ctx, 1), batchDims);
    int k = (int) id[id.length - 1];
    int block = (int) prod(dd, batchDims + k, dd.length);
    long[] outDims = new long[id.length - 1 + dd.length - batchDims - k];
    System.arraycopy(id, 0, outDims, 0, id.length - 1);
    System.arraycopy(dd, batchDims + k, outDims, id.length - 1, dd.length - batchDims - k);
    NdArray out = NdArray.allocate(data.dtype(), outDims);
    for (int t = 0; t < offsets.length; t++) {
      System.arraycopy(data.data(), offsets[t], out.data(), t * block, block);
    }
    return out;
  }

  private static NdArray scatterNd(KernelContext ctx, String reduction) {
    NdArray data = ctx.tensor(0);
    NdArray idx = ctx.tensor(1);
    NdArray updates = ctx.tensor(2);
    long[] dd = data.dims();
    long[] id = idx.dims();
    int[] offsets = tupleOffsets(ctx, dd, id, indices(ctx, 1), 0);
    int k = (int) id[id.length - 1];
    long[] want = new long[id.length - 1 + dd.length - k];
    System.arraycopy(id, 0, want, 0, id.length - 1);
    System.arraycopy(dd, k, want, id.length - 1, dd.length - k);
    if (!Arrays.equals(want, updates.dims())) {
      throw ctx.error("updates must have shape " + Shape.toString(want) + ", have "
          + updates.shape());
    }
    return scatter(ctx, data, updates, offsets, (int) prod(dd, k, dd.length), reduction);
  }

  // ---- TensorScatter ----

  private static List<RuntimeValue> tensorScatter(KernelContext ctx) {
    NdArray past = ctx.tensor(0);
    NdArray update = ctx.tensor(1);
    long[] pd = past.dims();
    long[] ud = update.dims();
    int axis = ctx.axis(ctx.attrLong("axis"), pd.length);
    if (axis == 0) {
      throw ctx.error("axis must not be the batch axis 0");
    }
    for (int i = 0; i < pd.length; i++) {
      if (ud.length != pd.length || (i != axis && ud[i] != pd[i]) || ud[axis] > pd[axis]) {
        throw ctx.error("update " + update.shape() + " does not fit past_cache " + past.shape()
            + " along axis " + axis);
      }
    }
    long[] writeAt = ctx.hasInput(2) ? indices(ctx, 2) : new long[(int) pd[0]];
    boolean circular = switch (ctx.attrString("mode")) {
      case "linear" -> false;
      case "circular" -> true;
      default -> throw ctx.error("mode must be 'linear' or 'circular'");
    };
    NdArray out = NdArray.allocate(past.dtype(), pd);
    System.arraycopy(past.data(), 0, out.data(), 0, past.size());
    int inner = (int) prod(pd, axis + 1, pd.length);
    long max = pd[axis];
    long seq = ud[axis];
    long prefix = prod(pd, 0, axis);
    long perBatch = prefix / pd[0];
    for (long p = 0; p < prefix; p++) {
      long start = writeAt[(int) (p / perBatch)];
      for (long s = 0; s < seq; s++) {
        long pos = start + s;
        if (circular) {
          pos = Math.floorMod(pos, max);
        } else if (pos < 0 || pos >= max) {
          throw ctx.error("write index " + pos + " is outside the cache length " + max);
        }
        System.arraycopy(update.data(), (int) ((p * seq + s) * inner), out.data(),
            (int) ((p * max + pos) * inner), inner);
      }
    }
    return one(out);
  }

  // ---- NonZero, OneHot, Compress ----

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
    int inner = (int) prod(id, axis, id.length);
    int outer = (int) prod(id, 0, axis);
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
    int outer = (int) prod(dims, 0, axis);
    int inner = (int) prod(dims, axis + 1, dims.length);
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

  // ---- TopK ----

  private static void registerTopK(OpRegistrar r) {
    r.op("TopK", 1).outputs(2).attr("axis", -1L).requiredAttr("k")
        .shape(ctx -> topKShape(ctx, ctx.attrLong("k")))
        .kernel(ctx -> topK(ctx, ctx.attrLong("k"), true, true));
    r.op("TopK", 10).inputs(2).outputs(2).attr("axis", -1L)
        .shape(ctx -> topKShape(ctx, kOf(ctx.constantLongs(1))))
        .kernel(ctx -> topK(ctx, kOf(ctx.longs(1)), true, true));
    r.op("TopK", 11).inputs(2).outputs(2).attr("axis", -1L).attr("largest", 1L)
        .attr("sorted", 1L)
        .shape(ctx -> topKShape(ctx, kOf(ctx.constantLongs(1))))
        .kernel(ctx -> topK(ctx, kOf(ctx.longs(1)), ctx.attrLong("largest") != 0,
            ctx.attrLong("sorted") != 0));
  }

  private static long kOf(long[] k) {
    return k == null || k.length != 1 ? -1 : k[0];
  }

  private static List<ValueType> topKShape(InferenceContext ctx, long k) {
    Shape s = ctx.shape(0);
    DType t = ctx.dtype(0);
    if (t == null) {
      return null;
    }
    if (!s.hasRank()) {
      return List.of(new TensorType(t, s), new TensorType(DType.INT64, s));
    }
    List<Dim> d = new ArrayList<>(s.dims());
    d.set(ctx.axis(ctx.attrLong("axis"), s.rank()), k >= 0 ? Dim.of(k) : Dim.UNKNOWN);
    Shape out = Shape.of(d);
    return List.of(new TensorType(t, out), new TensorType(DType.INT64, out));
  }

  /** Orders two positions of a slice; stable sorting keeps equal keys in index order. */
  @FunctionalInterface
  private interface IntOrder {
    boolean before(int a, int b);
  }

  /** A stable merge sort of {@code idx} by {@code order}, without boxing. */
  private static void sort(int[] idx, int[] tmp, int lo, int hi, IntOrder order) {
    if (hi - lo < 2) {
      return;
    }
    if (hi - lo <= 16) {
      for (int i = lo + 1; i < hi; i++) {
        int v = idx[i];
        int j = i - 1;
        while (j >= lo && order.before(v, idx[j])) {
          idx[j + 1] = idx[j];
          j--;
        }
        idx[j + 1] = v;
      }
      return;
    }
    int mid = (lo + hi) >>> 1;
    sort(idx, tmp, lo, mid, order);
    sort(idx, tmp, mid, hi, order);
    int i = lo;
    int j = mid;
    int k = lo;
    while (i < mid && j < hi) {
      tmp[k++] = order.before(idx[j], idx[i]) ? idx[j++] : idx[i++];
    }
    while (i < mid) {
      tmp[k++] = idx[i++];
    }
    while (j < hi) {
      tmp[k++] = idx[j++];
    }
    System.arraycopy(tmp, lo, idx, lo, hi - lo);
  }

  private static List<RuntimeValue> topK(KernelContext ctx, long k, boolean largest,
      boolean sorted) {
    NdArray x = ctx.tensor(0);
    int axis = ctx.axis(ctx.attrLong("axis"), x.rank());
    long[] dims = x.dims();
    long n = dims[axis];
    if (k < 0 || k > n) {
      throw ctx.error("k = " + k + " is outside [0, " + n + "] for axis " + axis + " of "
          + x.shape());
    }
    int outer = (int) prod(dims, 0, axis);
    int inner = (int) prod(dims, axis + 1, dims.length);
    long[] outDims = dims.clone();
    outDims[axis] = k;
    int kk = (int) k;
    int len = (int) n;
    int[] srcIndex = new int[outer * kk * inner];
    long[] outIdx = new long[srcIndex.length];
    boolean floats = x.dtype().isFloatingPoint();
    boolean unsigned = x.dtype() == DType.UINT64;
    if (x.dtype() == DType.STRING) {
      throw ctx.error("TopK does not accept strings");
    }
    double[] dv = floats ? x.toDoubles() : null;
    long[] lv = floats ? null : x.toLongs();
    int[] order = new int[len];
    int[] tmp = new int[len];
    for (int o = 0; o < outer; o++) {
      for (int i = 0; i < inner; i++) {
        int base = o * len * inner + i;
        IntOrder cmp;
        if (floats) {
          // NaN ranks above every number, as in ONNX Runtime and numpy's sort.
          cmp = largest
              ? (a, b) -> Double.compare(dv[base + a * inner], dv[base + b * inner]) > 0
              : (a, b) -> Double.compare(dv[base + a * inner], dv[base + b * inner]) < 0;
        } else if (unsigned) {
          cmp = largest
              ? (a, b) -> Long.compareUnsigned(lv[base + a * inner], lv[base + b * inner]) > 0
              : (a, b) -> Long.compareUnsigned(lv[base + a * inner], lv[base + b * inner]) < 0;
        } else {
          cmp = largest
              ? (a, b) -> lv[base + a * inner] > lv[base + b * inner]
              : (a, b) -> lv[base + a * inner] < lv[base + b * inner];
        }
        for (int j = 0; j < len; j++) {
          order[j] = j;
        }
        sort(order, tmp, 0, len, cmp);
        if (!sorted) {
          // Unsorted output keeps the k selected elements in index order.
          Arrays.sort(order, 0, kk);
        }
        for (int j = 0; j < kk; j++) {
          int at = (o * kk + j) * inner + i;
          srcIndex[at] = base + order[j] * inner;
          outIdx[at] = order[j];
        }
      }
    }
    return List.of(Strided.take(x, srcIndex, outDims), NdArray.ofLongs(outDims, outIdx));
  }

  // ---- Unique ----

  private static List<ValueType> uniqueShape(InferenceContext ctx) {
    Shape s = ctx.shape(0);
    DType t = ctx.dtype(0);
    if (t == null) {
      return null;
    }
    Shape y;
    Dim slices = Dim.UNKNOWN;
    if (!ctx.hasAttr("axis")) {
      y = Shape.of(Dim.UNKNOWN);
      slices = s.isStatic() ? Dim.of(s.numElements()) : Dim.UNKNOWN;
    } else if (s.hasRank()) {
      int axis = ctx.axis(ctx.attrLong("axis"), s.rank());
      List<Dim> d = new ArrayList<>(s.dims());
      d.set(axis, Dim.UNKNOWN);
      y = Shape.of(d);
      slices = s.dim(axis);
    } else {
      y = s;
    }
    TensorType counts = new TensorType(DType.INT64, Shape.of(Dim.UNKNOWN));
    return List.of(new TensorType(t, y), counts, new TensorType(DType.INT64, Shape.of(slices)),
        counts);
  }

  private static List<RuntimeValue> unique(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    boolean flat = !ctx.hasAttr("axis");
    int axis = flat ? 0 : ctx.axis(ctx.attrLong("axis"), x.rank());
    // Move the axis to the front so each slice is contiguous.
    NdArray v = flat ? x.reshape(new long[] {x.size()}) : moveToFront(x, axis);
    int count = (int) v.dim(0);
    int width = count == 0 ? 0 : v.size() / count;
    IntOrder before = sliceOrder(v, width);
    int[] order = new int[count];
    for (int i = 0; i < count; i++) {
      order[i] = i;
    }
    sort(order, new int[count], 0, count, before);
    // Groups of equal slices in sorted order; stability makes each group's head its first use.
    int[] groupOf = new int[count];
    List<Integer> heads = new ArrayList<>();
    List<Integer> sizes = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      if (i == 0 || before.before(order[i - 1], order[i])) {
        heads.add(order[i]);
        sizes.add(0);
      }
      groupOf[order[i]] = heads.size() - 1;
      sizes.set(heads.size() - 1, sizes.get(heads.size() - 1) + 1);
    }
    int u = heads.size();
    Integer[] rank = new Integer[u];
    for (int g = 0; g < u; g++) {
      rank[g] = g;
    }
    if (ctx.attrLong("sorted") == 0) {
      Arrays.sort(rank, (a, b) -> Integer.compare(heads.get(a), heads.get(b)));
    }
    int[] position = new int[u];
    for (int p = 0; p < u; p++) {
      position[rank[p]] = p;
    }
    long[] first = new long[u];
    long[] counts = new long[u];
    int[] take = new int[u * width];
    for (int p = 0; p < u; p++) {
      int g = rank[p];
      first[p] = heads.get(g);
      counts[p] = sizes.get(g);
      for (int e = 0; e < width; e++) {
        take[p * width + e] = heads.get(g) * width + e;
      }
    }
    long[] inverse = new long[count];
    for (int i = 0; i < count; i++) {
      inverse[i] = position[groupOf[i]];
    }
    long[] yDims = v.dims();
    yDims[0] = u;
    NdArray y = Strided.take(v, take, yDims);
    if (!flat) {
      y = moveFromFront(y, axis);
    }
    return List.of(y, NdArray.vector(first), NdArray.vector(inverse), NdArray.vector(counts));
  }

  private static NdArray moveToFront(NdArray x, int axis) {
    int[] perm = new int[x.rank()];
    perm[0] = axis;
    for (int i = 0, k = 1; i < x.rank(); i++) {
      if (i != axis) {
        perm[k++] = i;
      }
    }
    return Layout.transpose(x, perm);
  }

  private static NdArray moveFromFront(NdArray x, int axis) {
    int[] perm = new int[x.rank()];
    for (int i = 0; i < x.rank(); i++) {
      perm[i] = i < axis ? i + 1 : i == axis ? 0 : i;
    }
    return Layout.transpose(x, perm);
  }

  /** Lexicographic "less than" over slices of {@code width} contiguous elements. */
  private static IntOrder sliceOrder(NdArray v, int width) {
    DType t = v.dtype();
    if (t == DType.STRING) {
      byte[][] s = v.strings();
      return (a, b) -> {
        for (int e = 0; e < width; e++) {
          int c = Arrays.compareUnsigned(s[a * width + e], s[b * width + e]);
          if (c != 0) {
            return c < 0;
          }
        }
        return false;
      };
    }
    if (t.isFloatingPoint()) {
      double[] d = v.toDoubles();
      return (a, b) -> {
        for (int e = 0; e < width; e++) {
          int c = Double.compare(d[a * width + e], d[b * width + e]);
          if (c != 0) {
            return c < 0;
          }
        }
        return false;
      };
    }
    long[] l = v.toLongs();
    boolean unsigned = t == DType.UINT64;
    return (a, b) -> {
      for (int e = 0; e < width; e++) {
        long x = l[a * width + e];
        long y = l[b * width + e];
        int c = unsigned ? Long.compareUnsigned(x, y) : Long.compare(x, y);
        if (c != 0) {
          return c < 0;
        }
      }
      return false;
    };
  }
}
