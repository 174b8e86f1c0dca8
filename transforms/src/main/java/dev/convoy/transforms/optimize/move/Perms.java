package dev.convoy.transforms.optimize.move;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Permutations as ONNX's Transpose reads them: {@code Transpose(x, p)} has dim {@code i} equal to
 * dim {@code p[i]} of {@code x}. A value "carrying" {@code p} is a value whose original is {@code
 * Transpose(v, p)} of the moved value {@code v}; axis {@code a} of the original is axis {@code
 * p[a]} of the moved one.
 */
public final class Perms {
  private Perms() {}

  /** The explicit, valid permutation of a standard Transpose, or null. */
  public static long[] of(Node transpose) {
    if (!transpose.is("Transpose") || !transpose.domain().isEmpty()
        || transpose.input(0) == null) {
      return null;
    }
    long[] p = transpose.intsAttr("perm");
    return p != null && isPermutation(p) ? p : null;
  }

  public static boolean isPermutation(long[] p) {
    boolean[] seen = new boolean[p.length];
    for (long a : p) {
      if (a < 0 || a >= p.length || seen[(int) a]) {
        return false;
      }
      seen[(int) a] = true;
    }
    return true;
  }

  public static long[] inverse(long[] p) {
    long[] inv = new long[p.length];
    for (int i = 0; i < p.length; i++) {
      inv[(int) p[i]] = i;
    }
    return inv;
  }

  /** {@code Transpose(Transpose(x, first), then)} is {@code Transpose(x, compose(first, then))}. */
  public static long[] compose(long[] first, long[] then) {
    long[] r = new long[then.length];
    for (int j = 0; j < then.length; j++) {
      r[j] = first[(int) then[j]];
    }
    return r;
  }

  /** The identity permutation of {@code rank} axes. */
  public static long[] identity(int rank) {
    long[] p = new long[rank];
    for (int i = 0; i < rank; i++) {
      p[i] = i;
    }
    return p;
  }

  /**
   * The permutation left when the axes {@code dropped} (of the original, in [0, rank)) are
   * removed from both sides of {@code p}: what a value carries after a Squeeze or a reduction
   * without kept dims.
   */
  public static long[] dropAxes(long[] p, long[] dropped) {
    boolean[] gone = new boolean[p.length];
    boolean[] goneMoved = new boolean[p.length];
    for (long a : dropped) {
      gone[(int) a] = true;
      goneMoved[(int) p[(int) a]] = true;
    }
    int[] rankOf = new int[p.length];
    int r = 0;
    for (int m = 0; m < p.length; m++) {
      rankOf[m] = goneMoved[m] ? -1 : r++;
    }
    long[] out = new long[r];
    int k = 0;
    for (int i = 0; i < p.length; i++) {
      if (!gone[i]) {
        out[k++] = rankOf[(int) p[i]];
      }
    }
    return out;
  }

  /**
   * The permutation a value of rank {@code p.length + inserted.length} carries after an Unsqueeze
   * at the output positions {@code inserted} (sorted, normalized) of a value carrying {@code p},
   * when the moved value is unsqueezed at the same positions.
   */
  public static long[] insertAxes(long[] p, long[] inserted) {
    int rank = p.length + inserted.length;
    boolean[] isNew = new boolean[rank];
    for (long a : inserted) {
      isNew[(int) a] = true;
    }
    int[] kept = new int[p.length];
    int k = 0;
    for (int j = 0; j < rank; j++) {
      if (!isNew[j]) {
        kept[k++] = j;
      }
    }
    long[] out = new long[rank];
    for (int j = 0; j < rank; j++) {
      out[j] = j;
    }
    for (int i = 0; i < p.length; i++) {
      out[kept[i]] = kept[(int) p[i]];
    }
    return out;
  }

  /** Axes of the original mapped to the moved value ({@code a -> p[a]}), after normalizing. */
  public static long[] mapAxes(long[] axes, long[] p) {
    long[] out = new long[axes.length];
    for (int i = 0; i < axes.length; i++) {
      long a = axes[i] < 0 ? axes[i] + p.length : axes[i];
      if (a < 0 || a >= p.length) {
        return null;
      }
      out[i] = p[(int) a];
    }
    return out;
  }

  /** Whether {@code t}'s elements can be moved bytewise (fixed width, whole bytes). */
  public static boolean canPermute(Tensor t) {
    return t.dtype() != DType.STRING && t.dtype().bitWidth() >= 8;
  }

  /**
   * The constant {@code t} broadcast-aligned to {@code p.length} dims (leading 1s) and moved so
   * that {@code Transpose(result, p)} equals it: {@code Transpose(t', inverse(p))}.
   */
  public static Tensor moveConstant(Tensor t, long[] p) {
    int rank = p.length;
    long[] dims = new long[rank];
    Arrays.fill(dims, 1);
    System.arraycopy(t.dims(), 0, dims, rank - t.rank(), t.rank());
    return transpose(t, dims, inverse(p));
  }

  /**
   * Where each element of the flattened trailing dims of {@code Transpose(x, p)} (all but the
   * first, which {@code p} keeps) comes from in the flattened trailing dims of {@code x}: entry
   * {@code k'} (row-major over {@code x}'s dims) is the index {@code k} of the same element in the
   * transposed flattening.
   */
  static int[] flattenedOrder(long[] xDims, long[] p) {
    int r = xDims.length;
    long[] yStrides = new long[r];
    long s = 1;
    for (int i = r - 1; i >= 1; i--) {
      yStrides[i] = s;
      s *= xDims[(int) p[i]];
    }
    long[] yStrideOfX = new long[r];
    for (int i = 1; i < r; i++) {
      yStrideOfX[(int) p[i]] = yStrides[i];
    }
    int[] order = new int[(int) s];
    long[] idx = new long[r];
    for (int k = 0; k < order.length; k++) {
      long y = 0;
      for (int a = 1; a < r; a++) {
        y += idx[a] * yStrideOfX[a];
      }
      order[k] = (int) y;
      for (int a = r - 1; a >= 1; a--) {
        if (++idx[a] < xDims[a]) {
          break;
        }
        idx[a] = 0;
      }
    }
    return order;
  }

  /** {@code t} with its slices along {@code axis} taken in the order {@code index}. */
  static Tensor gather(Tensor t, int axis, int[] index) {
    long[] dims = t.dims();
    int width = t.dtype().byteSize();
    long inner = width;
    for (int i = axis + 1; i < dims.length; i++) {
      inner *= dims[i];
    }
    long outer = 1;
    for (int i = 0; i < axis; i++) {
      outer *= dims[i];
    }
    ByteBuffer src = t.data();
    byte[] out = new byte[(int) (outer * index.length * inner)];
    int o = 0;
    for (long a = 0; a < outer; a++) {
      for (int j : index) {
        long from = (a * dims[axis] + j) * inner;
        for (long b = 0; b < inner; b++) {
          out[o++] = src.get((int) (from + b));
        }
      }
    }
    return Tensor.of(t.dtype(), dims, ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN));
  }

  /** The data of {@code t}, viewed with {@code dims}, transposed by {@code perm}. */
  static Tensor transpose(Tensor t, long[] dims, long[] perm) {
    int rank = dims.length;
    int width = t.dtype().byteSize();
    long[] outDims = new long[rank];
    for (int i = 0; i < rank; i++) {
      outDims[i] = dims[(int) perm[i]];
    }
    long[] inStrides = new long[rank];
    long s = 1;
    for (int i = rank - 1; i >= 0; i--) {
      inStrides[i] = s;
      s *= dims[i];
    }
    int n = (int) t.numElements();
    ByteBuffer src = t.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int base = src.position();
    byte[] out = new byte[n * width];
    long[] idx = new long[rank];
    for (int o = 0; o < n; o++) {
      long off = 0;
      for (int i = 0; i < rank; i++) {
        off += idx[i] * inStrides[(int) perm[i]];
      }
      for (int b = 0; b < width; b++) {
        out[o * width + b] = src.get(base + (int) off * width + b);
      }
      for (int i = rank - 1; i >= 0; i--) {
        if (++idx[i] < outDims[i]) {
          break;
        }
        idx[i] = 0;
      }
    }
    return Tensor.of(t.dtype(), outDims,
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN));
  }
}
