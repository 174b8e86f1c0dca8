package dev.convoy.ir.ops.runtime;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.ops.NdArray;

/**
 * Data movement over strided views of storage arrays, shared by the shape, layout and indexing
 * families: Transpose, Slice (negative steps too), Expand and Tile (zero strides), Concat and Pad
 * (writing into a region of a larger output) are all one {@link #copy} with different strides.
 * Dimensions are coalesced first, so a contiguous slab is one {@code System.arraycopy} and the
 * element type is dispatched once per row, never per element.
 */
public final class Strided {
  /** Innermost rows shorter than this are swapped with a longer next one. */
  private static final int SHORT_ROW = 8;

  private Strided() {}

  /** Row-major strides of {@code dims} as ints (arrays never exceed int indexing). */
  public static int[] strides(long[] dims) {
    int[] s = new int[dims.length];
    long acc = 1;
    for (int i = dims.length - 1; i >= 0; i--) {
      s[i] = (int) acc;
      acc *= dims[i];
    }
    return s;
  }

  /**
   * For every index tuple {@code i} within {@code dims}: {@code dst[dstOff + i . dstStrides] =
   * src[srcOff + i . srcStrides]}. Strides may be zero (broadcast) or negative (reversed).
   */
  public static void copy(Object src, int srcOff, int[] srcStrides, Object dst, int dstOff,
      int[] dstStrides, long[] dims) {
    int rank = dims.length;
    long[] d = new long[rank];
    int[] ss = new int[rank];
    int[] ds = new int[rank];
    int r = 0;
    for (int i = 0; i < rank; i++) {
      if (dims[i] == 0) {
        return;
      }
      if (dims[i] == 1) {
        continue;
      }
      if (r > 0 && ss[r - 1] == (long) srcStrides[i] * dims[i]
          && ds[r - 1] == (long) dstStrides[i] * dims[i]) {
        d[r - 1] *= dims[i];
        ss[r - 1] = srcStrides[i];
        ds[r - 1] = dstStrides[i];
      } else {
        d[r] = dims[i];
        ss[r] = srcStrides[i];
        ds[r] = dstStrides[i];
        r++;
      }
    }
    if (r == 0) {
      row(src, srcOff, 1, dst, dstOff, 1, 1);
      return;
    }
    if (r >= 2 && d[r - 1] < SHORT_ROW && d[r - 2] > d[r - 1]) {
      // A short innermost row (NCHW -> NHWC of a 3-channel image: rows of 3) under a long one:
      // the long one becomes the row, so the per-row cost is paid a few times, not per pixel.
      // Every element is still copied once, so the order does not change the result.
      swap(d, ss, ds, r - 1, r - 2);
    }
    int len = (int) d[r - 1];
    int sIn = ss[r - 1];
    int dIn = ds[r - 1];
    int outer = r - 1;
    long[] counter = new long[outer];
    int so = srcOff;
    int dOff = dstOff;
    while (true) {
      row(src, so, sIn, dst, dOff, dIn, len);
      int k = outer - 1;
      while (k >= 0) {
        counter[k]++;
        so += ss[k];
        dOff += ds[k];
        if (counter[k] < d[k]) {
          break;
        }
        so -= (int) (ss[k] * d[k]);
        dOff -= (int) (ds[k] * d[k]);
        counter[k] = 0;
        k--;
      }
      if (k < 0) {
        return;
      }
    }
  }

  private static void swap(long[] d, int[] ss, int[] ds, int i, int j) {
    long t = d[i];
    d[i] = d[j];
    d[j] = t;
    int u = ss[i];
    ss[i] = ss[j];
    ss[j] = u;
    u = ds[i];
    ds[i] = ds[j];
    ds[j] = u;
  }

  /** One row of {@code n} elements with the given steps; one type dispatch per row. */
  public static void row(Object src, int so, int sStep, Object dst, int dOff, int dStep, int n) {
    if (sStep == 1 && dStep == 1) {
      System.arraycopy(src, so, dst, dOff, n);
      return;
    }
    if (src instanceof float[] s) {
      float[] t = (float[]) dst;
      for (int j = 0; j < n; j++, so += sStep, dOff += dStep) {
        t[dOff] = s[so];
      }
    } else if (src instanceof double[] s) {
      double[] t = (double[]) dst;
      for (int j = 0; j < n; j++, so += sStep, dOff += dStep) {
        t[dOff] = s[so];
      }
    } else if (src instanceof long[] s) {
      long[] t = (long[]) dst;
      for (int j = 0; j < n; j++, so += sStep, dOff += dStep) {
        t[dOff] = s[so];
      }
    } else if (src instanceof int[] s) {
      int[] t = (int[]) dst;
      for (int j = 0; j < n; j++, so += sStep, dOff += dStep) {
        t[dOff] = s[so];
      }
    } else if (src instanceof short[] s) {
      short[] t = (short[]) dst;
      for (int j = 0; j < n; j++, so += sStep, dOff += dStep) {
        t[dOff] = s[so];
      }
    } else if (src instanceof byte[] s) {
      byte[] t = (byte[]) dst;
      for (int j = 0; j < n; j++, so += sStep, dOff += dStep) {
        t[dOff] = s[so];
      }
    } else if (src instanceof Object[] s) {
      Object[] t = (Object[]) dst;
      for (int j = 0; j < n; j++, so += sStep, dOff += dStep) {
        t[dOff] = s[so];
      }
    } else {
      throw new IllegalStateException("not a storage array: " + src.getClass());
    }
  }

  /**
   * A new array of shape {@code outDims} read from {@code src} along a strided view ({@code
   * offset} counts from {@code src}'s element 0; a view of an arena is read in place).
   */
  public static NdArray view(NdArray src, int offset, int[] strides, long[] outDims) {
    return view(src, offset, strides, NdArray.allocate(src.dtype(), outDims));
  }

  /** As above, into {@code out} (a kernel's output buffer, possibly a view) and returns it. */
  public static NdArray view(NdArray src, int offset, int[] strides, NdArray out) {
    long[] outDims = out.dims();
    copy(src.array(), src.offset() + offset, strides, out.array(), out.offset(),
        strides(outDims), outDims);
    return out;
  }

  /** A new array whose element {@code i} is {@code src}'s element {@code index[i]}. */
  public static NdArray take(NdArray src, int[] index, long[] outDims) {
    NdArray out = NdArray.allocate(src.dtype(), outDims);
    Object s = src.data();
    Object d = out.data();
    int n = index.length;
    if (s instanceof float[] a) {
      float[] t = (float[]) d;
      for (int i = 0; i < n; i++) {
        t[i] = a[index[i]];
      }
    } else if (s instanceof double[] a) {
      double[] t = (double[]) d;
      for (int i = 0; i < n; i++) {
        t[i] = a[index[i]];
      }
    } else if (s instanceof long[] a) {
      long[] t = (long[]) d;
      for (int i = 0; i < n; i++) {
        t[i] = a[index[i]];
      }
    } else if (s instanceof int[] a) {
      int[] t = (int[]) d;
      for (int i = 0; i < n; i++) {
        t[i] = a[index[i]];
      }
    } else if (s instanceof short[] a) {
      short[] t = (short[]) d;
      for (int i = 0; i < n; i++) {
        t[i] = a[index[i]];
      }
    } else if (s instanceof byte[] a) {
      byte[] t = (byte[]) d;
      for (int i = 0; i < n; i++) {
        t[i] = a[index[i]];
      }
    } else if (s instanceof Object[] a) {
      Object[] t = (Object[]) d;
      for (int i = 0; i < n; i++) {
        t[i] = a[index[i]];
      }
    } else {
      throw new IllegalStateException("not a storage array: " + s.getClass());
    }
    return out;
  }

  /** An array of {@code dims} with every element {@code fill}'s single element. */
  public static NdArray filled(DType dtype, long[] dims, NdArray fill) {
    NdArray out = NdArray.allocate(dtype, dims);
    fill(out.data(), 0, out.size(), fill.data(), 0);
    return out;
  }

  /** Sets {@code dst[from, to)} to {@code src[at]} (same storage type). */
  public static void fill(Object dst, int from, int to, Object src, int at) {
    if (dst instanceof float[] t) {
      java.util.Arrays.fill(t, from, to, ((float[]) src)[at]);
    } else if (dst instanceof double[] t) {
      java.util.Arrays.fill(t, from, to, ((double[]) src)[at]);
    } else if (dst instanceof long[] t) {
      java.util.Arrays.fill(t, from, to, ((long[]) src)[at]);
    } else if (dst instanceof int[] t) {
      java.util.Arrays.fill(t, from, to, ((int[]) src)[at]);
    } else if (dst instanceof short[] t) {
      java.util.Arrays.fill(t, from, to, ((short[]) src)[at]);
    } else if (dst instanceof byte[] t) {
      java.util.Arrays.fill(t, from, to, ((byte[]) src)[at]);
    } else if (dst instanceof Object[] t) {
      java.util.Arrays.fill(t, from, to, ((Object[]) src)[at]);
    } else {
      throw new IllegalStateException("not a storage array: " + dst.getClass());
    }
  }
}
