package dev.convoy.transforms.optimize;

import dev.convoy.ir.graph.Tensor;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * Constant tensors joined along one axis, as {@code Concat} computes them, for rules that merge
 * sibling ops into one (their weights side by side) or join per-part operands. Byte copies of
 * row-major blocks, so any dtype of whole bytes per element.
 */
public final class ConstantConcat {
  private ConstantConcat() {}

  /**
   * {@code parts} joined along {@code axis}; null when their dtypes or ranks differ, their dims
   * other than {@code axis} differ, or an element is not a whole number of bytes.
   */
  public static Tensor of(List<Tensor> parts, int axis) {
    Tensor first = parts.get(0);
    int rank = first.rank();
    long joined = 0;
    for (Tensor t : parts) {
      if (t.dtype() != first.dtype() || t.rank() != rank || axis < 0 || axis >= rank
          || t.numElements() == 0 || t.data().remaining() % t.numElements() != 0) {
        return null;
      }
      for (int d = 0; d < rank; d++) {
        if (d != axis && t.dim(d) != first.dim(d)) {
          return null;
        }
      }
      joined += t.dim(axis);
    }
    int elem = (int) (first.data().remaining() / first.numElements());
    long outer = 1;
    for (int d = 0; d < axis; d++) {
      outer *= first.dim(d);
    }
    int total = 0;
    for (Tensor t : parts) {
      total += t.data().remaining();
    }
    ByteBuffer all = ByteBuffer.allocate(total);
    for (long o = 0; o < outer; o++) {
      for (Tensor t : parts) {
        int block = (int) (t.data().remaining() / outer);
        ByteBuffer src = t.data();
        src.position((int) (o * block)).limit((int) ((o + 1) * block));
        all.put(src);
      }
    }
    all.flip();
    long[] dims = Arrays.copyOf(first.dims(), rank);
    dims[axis] = joined;
    return Tensor.of(first.dtype(), dims, all);
  }
}
