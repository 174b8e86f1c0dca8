package dev.convoy.ir.ops.family;

import static dev.convoy.ir.ops.Kernels.one;

import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.NodeContext;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.RuntimeValue;
import dev.convoy.ir.ops.ShapeFns;
import dev.convoy.ir.ops.runtime.Blas;
import dev.convoy.ir.ops.runtime.NarrowTypes;
import dev.convoy.ir.ops.runtime.Parallel;
import dev.convoy.ir.ops.runtime.Scratch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Linear quantization: QuantizeLinear and DequantizeLinear (per tensor, per axis and blocked
 * scales; 8/16-bit integers, int4/uint4, int2/uint2, the 8-bit floats and float4e2m1),
 * DynamicQuantizeLinear, and the integer and quantized products MatMulInteger and
 * QLinearMatMul ({@link QuantizedConv} has the convolutions, {@link QuantizedGemm} the
 * contrib-style products). Integer products accumulate exactly (in
 * double, exact below 2^53, or long); requantization rounds half to even and saturates as ONNX
 * specifies.
 */
public final class Quantize implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    // Opset 10 is per tensor; 13 adds axis; 19 float8 and saturate; 21 block_size, output_dtype.
    for (int since : new int[] {10, 13, 19, 21}) {
      r.op("QuantizeLinear", since).inputs(2, 3).attr("axis", 1L).attr("saturate", 1L)
          .attr("block_size", 0L).attr("output_dtype", 0L).optionalAttr("precision")
          .shape(ctx -> ShapeFns.tensor(quantizedType(ctx, ctx.hasInput(2) ? ctx.dtype(2) : null),
              ctx.shape(0)))
          .kernel(ctx -> one(quantize(ctx)));
      r.op("DequantizeLinear", since).inputs(2, 3).attr("axis", 1L).attr("block_size", 0L)
          .attr("output_dtype", 0L)
          .shape(ctx -> ShapeFns.tensor(dequantizedType(ctx, ctx.dtype(1)), ctx.shape(0)))
          .kernel(ctx -> one(dequantize(ctx)));
    }
    r.op("DynamicQuantizeLinear", 11).outputs(3)
        .shape(ctx -> List.of(new ValueType.TensorType(DType.UINT8, ctx.shape(0)),
            new ValueType.TensorType(DType.FLOAT, Shape.scalar()),
            new ValueType.TensorType(DType.UINT8, Shape.scalar())))
        .kernel(Quantize::dynamicQuantize);
    r.op("MatMulInteger", 10).inputs(2, 4)
        .shape(ctx -> ShapeFns.tensor(DType.INT32, matMulShape(ctx.shape(0), ctx.shape(1))))
        .kernel(ctx -> one(matMulInteger(ctx)));
    r.op("QLinearMatMul", 10).inputs(8)
        .shape(ctx -> ShapeFns.tensor(ctx.dtype(7), matMulShape(ctx.shape(0), ctx.shape(3))))
        .kernel(ctx -> one(qLinearMatMul(ctx)));
    r.op("QLinearMatMul", 21).inputs(8)
        .shape(ctx -> ShapeFns.tensor(ctx.dtype(7), matMulShape(ctx.shape(0), ctx.shape(3))))
        .kernel(ctx -> one(qLinearMatMul(ctx)));
  }

  // ---- types ----

  /** QuantizeLinear's output type: the zero point's, else output_dtype, else uint8. */
  private static DType quantizedType(NodeContext ctx, DType zeroPointType) {
    if (zeroPointType != null) {
      return zeroPointType;
    }
    long code = ctx.attrLong("output_dtype");
    return code == 0 ? DType.UINT8 : DType.fromOnnx((int) code);
  }

  /** DequantizeLinear's output type: output_dtype when set, else the scale's type. */
  private static DType dequantizedType(NodeContext ctx, DType scaleType) {
    long code = ctx.attrLong("output_dtype");
    return code == 0 ? scaleType : DType.fromOnnx((int) code);
  }

  /** The representable range of an integer quantized type. */
  static long[] range(NodeContext ctx, DType t) {
    return switch (t) {
      case UINT8 -> new long[] {0, 255};
      case INT8 -> new long[] {-128, 127};
      case UINT16 -> new long[] {0, 65535};
      case INT16 -> new long[] {-32768, 32767};
      case INT32 -> new long[] {Integer.MIN_VALUE, Integer.MAX_VALUE};
      case UINT4 -> new long[] {0, 15};
      case INT4 -> new long[] {-8, 7};
      case UINT2 -> new long[] {0, 3};
      case INT2 -> new long[] {-2, 1};
      default -> throw new UnsupportedOpException(
          ctx.where() + ": quantized type " + t.textName() + " is not supported");
    };
  }

  static long saturate(double v, long[] range) {
    double r = Math.rint(v);
    return (long) Math.max(range[0], Math.min(range[1], r));
  }

  // ---- scale layout ----

  /**
   * For each element of {@code dims}, the index of its scale (and zero point): 0 per tensor,
   * the coordinate along {@code axis} per axis, the block coordinate when {@code blockSize > 0}.
   */
  static int[] scaleIndex(NodeContext ctx, long[] dims, NdArray scale, long axisAttr,
      long blockSize) {
    int n = NdArray.checkedSize(dims);
    int[] map = new int[n];
    if (scale.size() == 1 && blockSize == 0) {
      return map;
    }
    int axis = ctx.axis(axisAttr, dims.length);
    int inner = 1;
    for (int i = axis + 1; i < dims.length; i++) {
      inner *= (int) dims[i];
    }
    int len = (int) dims[axis];
    if (blockSize == 0) {
      if (scale.rank() != 1 || scale.dim(0) != len) {
        throw ctx.error("per-axis scale " + scale.describe() + " must have " + len
            + " elements (axis " + axis + " of " + Shape.toString(dims) + ")");
      }
      for (int i = 0; i < n; i++) {
        map[i] = (i / inner) % len;
      }
      return map;
    }
    long[] sd = scale.dims();
    if (sd.length != dims.length) {
      throw ctx.error("blocked scale " + scale.describe() + " must have the rank of "
          + Shape.toString(dims));
    }
    for (int i = 0; i < dims.length; i++) {
      long want = i == axis ? (dims[i] + blockSize - 1) / blockSize : dims[i];
      if (sd[i] != want) {
        throw ctx.error("blocked scale " + scale.describe() + " does not fit input "
            + Shape.toString(dims) + " with block_size " + blockSize + " on axis " + axis);
      }
    }
    int rank = dims.length;
    int[] coord = new int[rank];
    for (int i = 0; i < n; i++) {
      int s = 0;
      for (int d = 0; d < rank; d++) {
        int c = d == axis ? (int) (coord[d] / blockSize) : coord[d];
        s = s * (int) sd[d] + c;
      }
      map[i] = s;
      for (int d = rank - 1; d >= 0; d--) {
        if (++coord[d] < dims[d]) {
          break;
        }
        coord[d] = 0;
      }
    }
    return map;
  }

  private static void requireZeroPointShape(KernelContext ctx, NdArray zp, NdArray scale) {
    if (zp != null && zp.size() != scale.size()) {
      throw ctx.error("zero point " + zp.describe() + " must match scale " + scale.describe());
    }
  }

  // ---- QuantizeLinear / DequantizeLinear ----

  private static NdArray quantize(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    NdArray scale = ctx.tensor(1);
    NdArray zp = ctx.optionalTensor(2);
    requireZeroPointShape(ctx, zp, scale);
    DType out = quantizedType(ctx, zp == null ? null : zp.dtype());
    int[] map = scaleIndex(ctx, x.dims(), scale, ctx.attrLong("axis"), ctx.attrLong("block_size"));
    if (x.dtype() == DType.FLOAT && (out == DType.UINT8 || out == DType.INT8)) {
      return quantizeFloatToBytes(x.floats(), scale.toDoubles(),
          zp == null ? new long[scale.size()] : zp.toLongs(), map, out, x.dims());
    }
    double[] xs = x.toDoubles();
    double[] s = scale.toDoubles();
    boolean single = x.dtype() == DType.FLOAT;
    NdArray y = NdArray.allocate(out, x.dims());
    if (NarrowTypes.isNarrowFloat(out)) {
      boolean sat = ctx.attrLong("saturate") != 0;
      double[] z = zp == null ? new double[s.length] : zp.toDoubles();
      byte[] o = y.bytes();
      for (int i = 0; i < xs.length; i++) {
        double q = xs[i] / s[map[i]];
        o[i] = (byte) NarrowTypes.encode(out, (single ? (float) q : q) + z[map[i]], sat);
      }
      return y;
    }
    long[] rg = range(ctx, out);
    long[] z = zp == null ? new long[s.length] : zp.toLongs();
    for (int i = 0; i < xs.length; i++) {
      double q = xs[i] / s[map[i]];
      y.setLong(i, saturate(Math.rint(single ? (float) q : q) + z[map[i]], rg));
    }
    return y;
  }

  /**
   * The common float to 8-bit case of {@link #quantize} without widening X to float64 or
   * storing through setLong: the same arithmetic (a float64 quotient rounded to float, then
   * rint, zero point and saturation), written straight to bytes.
   */
  private static NdArray quantizeFloatToBytes(float[] xs, double[] s, long[] z, int[] map,
      DType out, long[] dims) {
    long[] rg = out == DType.UINT8 ? new long[] {0, 255} : new long[] {-128, 127};
    byte[] o = new byte[xs.length];
    if (s.length == 1) {
      double s0 = s[0];
      long z0 = z[0];
      for (int i = 0; i < xs.length; i++) {
        o[i] = (byte) saturate(Math.rint((float) (xs[i] / s0)) + z0, rg);
      }
    } else {
      for (int i = 0; i < xs.length; i++) {
        o[i] = (byte) saturate(Math.rint((float) (xs[i] / s[map[i]])) + z[map[i]], rg);
      }
    }
    return NdArray.wrap(out, dims, o);
  }

  private static NdArray dequantize(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    NdArray scale = ctx.tensor(1);
    NdArray zp = ctx.optionalTensor(2);
    requireZeroPointShape(ctx, zp, scale);
    int[] map = scaleIndex(ctx, x.dims(), scale, ctx.attrLong("axis"), ctx.attrLong("block_size"));
    double[] s = scale.toDoubles();
    double[] z = zp == null ? new double[s.length] : zp.toDoubles();
    boolean bytes = x.dtype() == DType.UINT8 || x.dtype() == DType.INT8;
    if (bytes && scale.dtype() == DType.FLOAT
        && dequantizedType(ctx, scale.dtype()) == DType.FLOAT) {
      // The common 8-bit to float case, straight from bytes to floats (same arithmetic).
      byte[] xb = x.bytes();
      int mask = x.dtype() == DType.UINT8 ? 0xFF : -1;
      float[] o = new float[xb.length];
      for (int i = 0; i < o.length; i++) {
        int k = map[i];
        o[i] = (float) (((xb[i] & mask) - z[k]) * s[k]);
      }
      return NdArray.wrap(DType.FLOAT, x.dims(), o);
    }
    double[] xs = x.toDoubles();
    double[] o = new double[xs.length];
    boolean single = scale.dtype() == DType.FLOAT;
    for (int i = 0; i < xs.length; i++) {
      double v = (xs[i] - z[map[i]]) * s[map[i]];
      o[i] = single ? (float) v : v;
    }
    return NdArray.fromDoubles(dequantizedType(ctx, scale.dtype()), x.dims(), o);
  }

  static List<RuntimeValue> dynamicQuantize(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    ctx.requireType(0, DType.FLOAT);
    float[] v = x.floats();
    float min = 0;
    float max = 0;
    for (float f : v) {
      min = Math.min(min, f);
      max = Math.max(max, f);
    }
    float scale = (max - min) / 255f;
    long[] rg = {0, 255};
    long zp = scale == 0 ? 0 : saturate((0 - min) / scale, rg);
    byte[] y = new byte[v.length];
    for (int i = 0; i < v.length; i++) {
      y[i] = (byte) (scale == 0 ? zp : saturate(Math.rint(v[i] / scale) + zp, rg));
    }
    return List.of(NdArray.wrap(DType.UINT8, x.dims(), y), NdArray.scalarFloat(scale),
        NdArray.wrap(DType.UINT8, new long[0], new byte[] {(byte) zp}));
  }

  // ---- integer and quantized MatMul ----

  static Shape matMulShape(Shape a, Shape b) {
    if (!a.hasRank() || !b.hasRank() || a.rank() < 2 || b.rank() < 2) {
      return Shape.unknownRank();
    }
    Shape batch = ShapeFns.broadcastShapes(Shape.of(a.dims().subList(0, a.rank() - 2)),
        Shape.of(b.dims().subList(0, b.rank() - 2)));
    List<Dim> out = new ArrayList<>(batch.dims());
    out.add(a.dim(a.rank() - 2));
    out.add(b.dim(b.rank() - 1));
    return Shape.of(out);
  }

  /**
   * {@code x - zp} as int32 (exact for every 8/16-bit value), so products accumulate in int32
   * as ONNX Runtime's do. A zero point is a scalar, or per row of A ({@code rows = true},
   * length M) or per column of B (length N).
   */
  private static NdArray centered(KernelContext ctx, NdArray x, NdArray zp, boolean rows) {
    int[] v = new int[(int) x.size()];
    if (x.dtype() == DType.UINT8 || x.dtype() == DType.INT8) {
      byte[] b = x.bytes();
      int mask = x.dtype() == DType.UINT8 ? 0xFF : -1;
      for (int i = 0; i < v.length; i++) {
        v[i] = b[i] & mask;
      }
    } else {
      if (!x.dtype().isInteger()) {
        throw ctx.unsupportedType(x.dtype());
      }
      long[] l = x.toLongs();
      for (int i = 0; i < v.length; i++) {
        v[i] = (int) l[i];
      }
    }
    if (zp != null) {
      long[] z = zp.toLongs();
      int m = (int) x.dim(x.rank() - 2);
      int n = (int) x.dim(x.rank() - 1);
      int per = rows ? m : n;
      if (z.length != 1 && z.length != per) {
        throw ctx.error("zero point " + zp.describe() + " must be a scalar or have " + per
            + " elements");
      }
      // Row by row, with no per-element division: a row of A has one zero point, a row of B
      // the per-column vector.
      if (z.length == 1 || rows) {
        for (int row = 0, p = 0; p < v.length; row++, p += n) {
          int zr = (int) z[z.length == 1 ? 0 : row % m];
          for (int j = 0; j < n; j++) {
            v[p + j] -= zr;
          }
        }
      } else {
        int[] zc = new int[n];
        for (int j = 0; j < n; j++) {
          zc[j] = (int) z[j];
        }
        for (int p = 0; p < v.length; p += n) {
          for (int j = 0; j < n; j++) {
            v[p + j] -= zc[j];
          }
        }
      }
    }
    return NdArray.wrap(DType.INT32, x.dims(), v);
  }

  private static void requireRank2(KernelContext ctx, NdArray a, NdArray b) {
    if (a.rank() < 2 || b.rank() < 2) {
      throw new UnsupportedOpException(ctx.where() + ": operands of rank below 2 ("
          + a.describe() + ", " + b.describe() + ") are not supported");
    }
  }

  private static NdArray matMulInteger(KernelContext ctx) {
    return intMatMul(ctx, ctx.tensor(0), ctx.optionalTensor(2), ctx.tensor(1),
        ctx.optionalTensor(3));
  }

  /**
   * {@code (A - za) (B - zb)} in int32 with MatMul's batch broadcasting. An 8-bit B (typically
   * a large constant weight) is never converted as a whole: the GEMM unpacks each panel row
   * from bytes as it fills its panels, and B's zero points are applied afterwards as {@code
   * C[i][j] -= zb[j] * sum_k (A[i][k] - za[i])}, exact in wrapping int32 arithmetic.
   */
  static NdArray intMatMul(KernelContext ctx, NdArray a, NdArray za, NdArray b,
      NdArray zb) {
    requireRank2(ctx, a, b);
    int[] x = centered(ctx, a, za, true).ints();
    long[] ad = a.dims();
    long[] bd = b.dims();
    MatMulGemm.BatchPlan plan = MatMulGemm.BatchPlan.of(ctx, a, b, ad, bd);
    int m = plan.m();
    int k = plan.k();
    int n = plan.n();
    long[] batch = plan.batch();
    int[] aIdx = plan.aIdx();
    int[] bIdx = plan.bIdx();
    long[] outDims = Arrays.copyOf(batch, batch.length + 2);
    outDims[batch.length] = m;
    outDims[batch.length + 1] = n;
    int[] o = new int[NdArray.checkedSize(outDims)];
    boolean bytes = b.dtype() == DType.UINT8 || b.dtype() == DType.INT8;
    int[] y = bytes ? null : centered(ctx, b, zb, false).ints();
    int[] zc = bytes && zb != null ? columnZeroPoints(ctx, zb, n) : null;
    Parallel par = ctx.parallel();
    for (int i = 0; i < aIdx.length; i++) {
      int bOff = bIdx[i] * k * n;
      Blas.IntRows rows = !bytes
          ? (kk, j0, dst, w) -> System.arraycopy(y, bOff + kk * n + j0, dst, 0, w)
          : byteRows(b.bytes(), b.dtype() == DType.UINT8, bOff, n);
      int aOff = aIdx[i] * m * k;
      int cOff = i * m * n;
      Blas.igemm(m, n, k, x, aOff, rows, o, cOff, par);
      if (zc != null) {
        for (int r = 0; r < m; r++) {
          int sum = 0;
          for (int kk = 0; kk < k; kk++) {
            sum += x[aOff + r * k + kk];
          }
          for (int j = 0; j < n; j++) {
            o[cOff + r * n + j] -= zc[j] * sum;
          }
        }
      }
    }
    return NdArray.wrap(DType.INT32, outDims, o);
  }

  /** B's zero point as one value per column (a scalar repeated). */
  private static int[] columnZeroPoints(KernelContext ctx, NdArray zb, int n) {
    long[] z = zb.toLongs();
    if (z.length != 1 && z.length != n) {
      throw ctx.error("zero point " + zb.describe() + " must be a scalar or have " + n
          + " elements");
    }
    int[] zc = new int[n];
    for (int j = 0; j < n; j++) {
      zc[j] = (int) z[z.length == 1 ? 0 : j];
    }
    return zc;
  }

  /**
   * Rows of an 8-bit row-major matrix (row length {@code n}, at {@code off}) widened to int:
   * copied to a zero-based scratch row first so that C2 vectorizes the widening loop.
   */
  private static Blas.IntRows byteRows(byte[] v, boolean unsigned, int off, int n) {
    if (unsigned) {
      return (kk, j0, dst, w) -> {
        byte[] row = Scratch.get().byteRow(w);
        System.arraycopy(v, off + kk * n + j0, row, 0, w);
        for (int j = 0; j < w; j++) {
          dst[j] = row[j] & 0xFF;
        }
      };
    }
    return (kk, j0, dst, w) -> {
      byte[] row = Scratch.get().byteRow(w);
      System.arraycopy(v, off + kk * n + j0, row, 0, w);
      for (int j = 0; j < w; j++) {
        dst[j] = row[j];
      }
    };
  }

  private static NdArray qLinearMatMul(KernelContext ctx) {
    NdArray acc = intMatMul(ctx, ctx.tensor(0), ctx.tensor(2), ctx.tensor(3), ctx.tensor(5));
    double[] as = ctx.tensor(1).toDoubles();
    double[] bs = ctx.tensor(4).toDoubles();
    double ys = ctx.scalarDouble(6, 1);
    NdArray yzp = ctx.tensor(7);
    long[] rg = range(ctx, yzp.dtype());
    long zp = yzp.getLong(0);
    long[] dims = acc.dims();
    int m = (int) dims[dims.length - 2];
    int n = (int) dims[dims.length - 1];
    if ((as.length != 1 && as.length != m) || (bs.length != 1 && bs.length != n)) {
      throw ctx.error("a_scale must be a scalar or per row, b_scale a scalar or per column");
    }
    int[] v = acc.ints();
    NdArray y = NdArray.allocate(yzp.dtype(), dims);
    for (int i = 0; i < v.length; i++) {
      double sa = as[as.length == 1 ? 0 : (i / n) % m];
      double sb = bs[bs.length == 1 ? 0 : i % n];
      y.setLong(i, saturate(Math.rint((double) v[i] * sa * sb / ys) + zp, rg));
    }
    return y;
  }
}
