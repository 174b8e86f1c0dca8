package dev.convoy.ir.ops;

import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.graph.DType;
import java.util.List;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoublePredicate;
import java.util.function.DoubleUnaryOperator;
import java.util.function.LongBinaryOperator;
import java.util.function.LongUnaryOperator;

/**
 * The kernel-writing toolkit: element-type dispatch and broadcasting loops so a family states an
 * op's math once. Float math is written over {@code double} and applied to float32 and float64
 * storage directly and to float16/bfloat16 through float arrays rounded back; integer math is
 * written over {@code long} (elements zero- or sign-extended, results wrapped to the width).
 * uint64 elements keep their bit pattern: ops where sign matters (compare, divide) are given the
 * unsigned-aware variants below.
 */
public final class Kernels {
  private Kernels() {}

  /** Compares two doubles. */
  @FunctionalInterface
  public interface DoubleCompare {
    boolean test(double a, double b);
  }

  /** Compares two longs. */
  @FunctionalInterface
  public interface LongCompare {
    boolean test(long a, long b);
  }

  /** A one-output kernel result. */
  public static List<RuntimeValue> one(RuntimeValue v) {
    return List.of(v);
  }

  private static UnsupportedOpException badType(String what, DType t) {
    return new UnsupportedOpException(what + " does not support element type " + t.textName());
  }

  // ---- unary ----

  /** {@code f} applied to every element of a float tensor (any of the four float types). */
  public static NdArray mapFloat(NdArray x, DoubleUnaryOperator f) {
    return map(x, f, null);
  }

  /**
   * {@code f} over float elements, {@code g} over integer (and bool) elements; either may be
   * {@code null} when the op does not accept that kind. Same element type out.
   */
  public static NdArray map(NdArray x, DoubleUnaryOperator f, LongUnaryOperator g) {
    DType t = x.dtype();
    long[] dims = x.dims();
    int n = x.size();
    if (t.isFloatingPoint()) {
      if (f == null) {
        throw badType("this op", t);
      }
      switch (t) {
        case FLOAT -> {
          float[] a = x.floats();
          float[] o = new float[n];
          for (int i = 0; i < n; i++) {
            o[i] = (float) f.applyAsDouble(a[i]);
          }
          return NdArray.wrap(t, dims, o);
        }
        case DOUBLE -> {
          double[] a = x.doubles();
          double[] o = new double[n];
          for (int i = 0; i < n; i++) {
            o[i] = f.applyAsDouble(a[i]);
          }
          return NdArray.wrap(t, dims, o);
        }
        default -> {
          float[] a = x.toFloats();
          float[] o = new float[n];
          for (int i = 0; i < n; i++) {
            o[i] = (float) f.applyAsDouble(a[i]);
          }
          return NdArray.fromFloats(t, dims, o);
        }
      }
    }
    if (g == null || t == DType.STRING) {
      throw badType("this op", t);
    }
    long[] a = x.toLongs();
    long[] o = new long[n];
    for (int i = 0; i < n; i++) {
      o[i] = g.applyAsLong(a[i]);
    }
    return NdArray.fromLongs(t, dims, o);
  }

  /** A bool tensor of {@code p} over the elements of a float tensor. */
  public static NdArray testFloat(NdArray x, DoublePredicate p) {
    if (!x.dtype().isFloatingPoint()) {
      throw badType("this op", x.dtype());
    }
    int n = x.size();
    byte[] o = new byte[n];
    for (int i = 0; i < n; i++) {
      o[i] = (byte) (p.test(x.getDouble(i)) ? 1 : 0);
    }
    return NdArray.wrap(DType.BOOL, x.dims(), o);
  }

  // ---- binary with broadcasting ----

  /**
   * {@code f} (floats) or {@code g} (integers) over the broadcast of {@code a} and {@code b};
   * the result has {@code a}'s element type. The operands must share an element type.
   */
  public static NdArray zip(
      NdArray a, NdArray b, DoubleBinaryOperator f, LongBinaryOperator g) {
    DType t = a.dtype();
    long[] outDims = Broadcast.shape(a.dims(), b.dims());
    long[][] ins = {a.dims(), b.dims()};
    if (t.isFloatingPoint()) {
      if (f == null) {
        throw badType("this op", t);
      }
      if (t == DType.DOUBLE) {
        double[] x = a.doubles();
        double[] y = b.toDoubles();
        double[] o = new double[NdArray.checkedSize(outDims)];
        Broadcast.forEachRow(outDims, ins, (p, off, st, len) -> {
          int ia = off[0];
          int ib = off[1];
          for (int j = 0; j < len; j++, ia += st[0], ib += st[1]) {
            o[p + j] = f.applyAsDouble(x[ia], y[ib]);
          }
        });
        return NdArray.wrap(t, outDims, o);
      }
      float[] x = a.toFloats();
      float[] y = b.toFloats();
      float[] o = new float[NdArray.checkedSize(outDims)];
      Broadcast.forEachRow(outDims, ins, (p, off, st, len) -> {
        int ia = off[0];
        int ib = off[1];
        for (int j = 0; j < len; j++, ia += st[0], ib += st[1]) {
          o[p + j] = (float) f.applyAsDouble(x[ia], y[ib]);
        }
      });
      return NdArray.fromFloats(t, outDims, o);
    }
    if (g == null || t == DType.STRING) {
      throw badType("this op", t);
    }
    long[] x = a.toLongs();
    long[] y = b.toLongs();
    long[] o = new long[NdArray.checkedSize(outDims)];
    Broadcast.forEachRow(outDims, ins, (p, off, st, len) -> {
      int ia = off[0];
      int ib = off[1];
      for (int j = 0; j < len; j++, ia += st[0], ib += st[1]) {
        o[p + j] = g.applyAsLong(x[ia], y[ib]);
      }
    });
    return NdArray.fromLongs(t, outDims, o);
  }

  /**
   * A bool tensor comparing the broadcast of {@code a} and {@code b}: {@code f} for floats,
   * {@code g} for integers and bool (uint64 compared unsigned: sign bits are flipped before
   * {@code g}).
   */
  public static NdArray compare(NdArray a, NdArray b, DoubleCompare f, LongCompare g) {
    DType t = a.dtype();
    long[] outDims = Broadcast.shape(a.dims(), b.dims());
    long[][] ins = {a.dims(), b.dims()};
    byte[] o = new byte[NdArray.checkedSize(outDims)];
    if (t.isFloatingPoint()) {
      double[] x = a.toDoubles();
      double[] y = b.toDoubles();
      Broadcast.forEachRow(outDims, ins, (p, off, st, len) -> {
        for (int j = 0, ia = off[0], ib = off[1]; j < len; j++, ia += st[0], ib += st[1]) {
          o[p + j] = (byte) (f.test(x[ia], y[ib]) ? 1 : 0);
        }
      });
    } else if (t == DType.STRING) {
      throw badType("this comparison", t);
    } else {
      long flip = t == DType.UINT64 ? Long.MIN_VALUE : 0;
      long[] x = a.toLongs();
      long[] y = b.toLongs();
      Broadcast.forEachRow(outDims, ins, (p, off, st, len) -> {
        for (int j = 0, ia = off[0], ib = off[1]; j < len; j++, ia += st[0], ib += st[1]) {
          o[p + j] = (byte) (g.test(x[ia] ^ flip, y[ib] ^ flip) ? 1 : 0);
        }
      });
    }
    return NdArray.wrap(DType.BOOL, outDims, o);
  }

  /** Requires both operands to share an element type (ONNX type constraint T). */
  public static void requireSameType(NodeContext ctx, NdArray a, NdArray b) {
    if (a.dtype() != b.dtype()) {
      throw ctx.error("operands have different element types " + a.dtype().textName() + " and "
          + b.dtype().textName());
    }
  }

  // ---- conversion ----

  /** Converts every element to {@code to} (numeric casts; bool is 0/1; strings not handled). */
  public static NdArray convert(NdArray x, DType to) {
    DType from = x.dtype();
    if (from == to) {
      return x;
    }
    long[] dims = x.dims();
    if (to.isFloatingPoint()) {
      if (to == DType.FLOAT && from != DType.DOUBLE && from != DType.UINT64
          && from != DType.INT64) {
        return NdArray.wrap(to, dims, x.toFloats());
      }
      return NdArray.fromDoubles(to, dims, x.toDoubles());
    }
    if (to == DType.BOOL) {
      int n = x.size();
      byte[] o = new byte[n];
      for (int i = 0; i < n; i++) {
        o[i] = (byte) (from.isFloatingPoint() ? (x.getDouble(i) != 0 ? 1 : 0)
            : (x.getLong(i) != 0 ? 1 : 0));
      }
      return NdArray.wrap(to, dims, o);
    }
    if (from.isFloatingPoint()) {
      int n = x.size();
      long[] o = new long[n];
      for (int i = 0; i < n; i++) {
        double d = x.getDouble(i);
        o[i] = to == DType.UINT64 ? NdArray.doubleToUnsigned(d) : floatToInteger(d, to);
      }
      return NdArray.fromLongs(to, dims, o);
    }
    return NdArray.fromLongs(to, dims, x.toLongs());
  }

  /**
   * A float to an integer type as C (and ONNX Runtime) does for in-range values: truncation;
   * out-of-range values wrap through int64, and NaN becomes the type's minimum like x86.
   */
  private static long floatToInteger(double d, DType to) {
    if (Double.isNaN(d)) {
      return to == DType.INT64 || to == DType.INT32 ? Long.MIN_VALUE : 0;
    }
    return (long) d;
  }
}
