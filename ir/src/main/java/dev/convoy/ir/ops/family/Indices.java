package dev.convoy.ir.ops.family;

import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.NodeContext;
import dev.convoy.ir.ops.runtime.Strided;

/**
 * Index arithmetic shared by the gather and scatter families: one index checked against its axis
 * (negative counts from the end, out of range is an error naming the node, never a wrapped read),
 * an index input read as longs, and the element offsets an index tensor addresses.
 */
final class Indices {

  private Indices() {}

  /** Index {@code i} normalized against an axis of size {@code dim}; an error when outside. */
  static int index(NodeContext ctx, long i, long dim) {
    long v = i < 0 ? i + dim : i;
    if (v < 0 || v >= dim) {
      throw ctx.error("index " + i + " is out of range for an axis of size " + dim);
    }
    return (int) v;
  }

  static long[] indices(KernelContext ctx, int input) {
    NdArray a = ctx.tensor(input);
    if (!a.dtype().isInteger()) {
      throw ctx.error("input " + input + " must hold integer indices, is " + a.describe());
    }
    return a.toLongs();
  }

  /**
   * For each element of an index tensor of shape {@code idxDims}, the offset in a tensor of
   * shape {@code dims} it addresses along {@code axis} (its own position elsewhere).
   */
  static int[] axisOffsets(NodeContext ctx, long[] idxDims, long[] idx, long[] dims,
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

  /** Where each index tuple of a GatherND/ScatterND points, as element offsets into data. */
  static int[] tupleOffsets(NodeContext ctx, long[] dataDims, long[] idxDims, long[] idx,
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
    long batches = Shape.product(dataDims, 0, batchDims);
    long perBatch = Shape.product(idxDims, batchDims, q - 1);
    int batchStride = (int) Shape.product(dataDims, batchDims, dataDims.length);
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
}
