package dev.convoy.ir.ops;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.graph.Shape;

/**
 * Numpy-style broadcasting over concrete dimensions: the result shape, and iteration over the
 * output in contiguous rows with each operand's matching offset and step. Adjacent dimensions
 * that every operand walks the same way are merged first, so a same-shape Add is one row and a
 * per-channel bias add over {@code [N,C,H,W]} has rows of {@code H*W}.
 */
public final class Broadcast {
  private Broadcast() {}

  /** The broadcast of {@code shapes}; a {@link ConvoyException} when they are incompatible. */
  public static long[] shape(long[]... shapes) {
    int rank = 0;
    for (long[] s : shapes) {
      rank = Math.max(rank, s.length);
    }
    long[] out = new long[rank];
    java.util.Arrays.fill(out, 1);
    for (long[] s : shapes) {
      int off = rank - s.length;
      for (int i = 0; i < s.length; i++) {
        long d = s[i];
        long o = out[off + i];
        if (o == d || d == 1) {
          continue;
        }
        if (o == 1) {
          out[off + i] = d;
        } else {
          throw new ConvoyException(incompatible(shapes));
        }
      }
    }
    return out;
  }

  private static String incompatible(long[]... shapes) {
    var sb = new StringBuilder("shapes ");
    for (int i = 0; i < shapes.length; i++) {
      sb.append(i == 0 ? "" : " and ").append(Shape.toString(shapes[i]));
    }
    return sb.append(" cannot be broadcast together").toString();
  }

  /** Row-major element strides of {@code dims}. */
  public static int[] strides(long[] dims) {
    int[] s = new int[dims.length];
    int acc = 1;
    for (int i = dims.length - 1; i >= 0; i--) {
      s[i] = acc;
      acc = (int) (acc * dims[i]);
    }
    return s;
  }

  /**
   * Strides of operand {@code in} read as shape {@code out} (right-aligned; 0 along dimensions
   * it broadcasts).
   */
  public static int[] stridesFor(long[] in, long[] out) {
    int[] own = strides(in);
    int[] s = new int[out.length];
    int off = out.length - in.length;
    for (int i = 0; i < in.length; i++) {
      s[off + i] = in[i] == 1 && out[off + i] != 1 ? 0 : own[i];
    }
    return s;
  }

  /** One contiguous output row and where each operand's elements for it start. */
  @FunctionalInterface
  public interface RowVisitor {
    /**
     * Output elements {@code [out, out+len)}; operand {@code k}'s element {@code j} of the row is
     * at {@code offsets[k] + j * steps[k]} ({@code steps[k]} is 0 or its stride).
     */
    void row(int out, int[] offsets, int[] steps, int len);
  }

  /**
   * Visits the output of shape {@code out} row by row, with operand offsets for operands of
   * shapes {@code ins} (each broadcastable to {@code out}). The offsets array is reused between
   * calls.
   */
  public static void forEachRow(long[] out, long[][] ins, RowVisitor visitor) {
    int k = ins.length;
    int[][] st = new int[k][];
    for (int j = 0; j < k; j++) {
      st[j] = stridesFor(ins[j], out);
    }
    // Merge dimension i into i+1 when every operand's stride at i equals stride(i+1) * dim(i+1).
    long[] dims = new long[out.length];
    int[][] strides = new int[k][out.length];
    int r = 0;
    for (int i = 0; i < out.length; i++) {
      if (out[i] == 1) {
        continue;
      }
      boolean merge = r > 0;
      for (int j = 0; j < k && merge; j++) {
        merge = strides[j][r - 1] == (long) st[j][i] * out[i];
      }
      if (merge) {
        dims[r - 1] *= out[i];
        for (int j = 0; j < k; j++) {
          strides[j][r - 1] = st[j][i];
        }
      } else {
        dims[r] = out[i];
        for (int j = 0; j < k; j++) {
          strides[j][r] = st[j][i];
        }
        r++;
      }
    }
    int[] offsets = new int[k];
    int[] steps = new int[k];
    if (r == 0) {
      for (long d : out) {
        if (d == 0) {
          return;
        }
      }
      visitor.row(0, offsets, steps, 1);
      return;
    }
    for (int i = 0; i < r; i++) {
      if (dims[i] == 0) {
        return;
      }
    }
    int len = (int) dims[r - 1];
    for (int j = 0; j < k; j++) {
      steps[j] = strides[j][r - 1];
    }
    int outer = r - 1;
    long[] counter = new long[outer];
    int[] base = new int[k];
    int pos = 0;
    while (true) {
      System.arraycopy(base, 0, offsets, 0, k);
      visitor.row(pos, offsets, steps, len);
      pos += len;
      int d = outer - 1;
      while (d >= 0) {
        counter[d]++;
        for (int j = 0; j < k; j++) {
          base[j] += strides[j][d];
        }
        if (counter[d] < dims[d]) {
          break;
        }
        for (int j = 0; j < k; j++) {
          base[j] -= (int) (strides[j][d] * dims[d]);
        }
        counter[d] = 0;
        d--;
      }
      if (d < 0) {
        return;
      }
    }
  }

  /**
   * For each element of an output of shape {@code out}, the index of the element of an operand
   * of shape {@code in} it reads. Simple and allocation-heavy: for kernels off the hot path.
   */
  public static int[] indexMap(long[] in, long[] out) {
    int n = NdArray.checkedSize(out);
    int[] map = new int[n];
    forEachRow(out, new long[][] {in}, (o, offs, steps, len) -> {
      for (int j = 0; j < len; j++) {
        map[o + j] = offs[0] + j * steps[0];
      }
    });
    return map;
  }
}
