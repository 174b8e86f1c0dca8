package dev.convoy.ir.ops.family;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.ValueType.TensorType;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.InferenceContext;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.RuntimeValue;
import dev.convoy.ir.ops.runtime.Strided;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Ops that order elements: TopK (the k largest or smallest along an axis with their indices,
 * stable, so equal keys keep index order) and Unique (distinct elements or slices, sorted or in
 * order of first occurrence, with indices, inverse indices and counts).
 */
public final class Sorting implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    registerTopK(r);
    r.op("Unique", 11).outputs(1, 4).attr("sorted", 1L).optionalAttr("axis")
        .shape(Sorting::uniqueShape).kernel(Sorting::unique);
  }

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
    int outer = (int) Shape.product(dims, 0, axis);
    int inner = (int) Shape.product(dims, axis + 1, dims.length);
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
