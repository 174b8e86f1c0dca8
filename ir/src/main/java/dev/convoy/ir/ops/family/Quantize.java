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
import dev.convoy.ir.ops.runtime.ByteQuantizer;
import dev.convoy.ir.ops.runtime.IntGemm;
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
 * contrib-style products). Integer products accumulate exactly in int32 on {@link IntGemm};
 * requantization rounds half to even and saturates as ONNX specifies.
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
   * rint, zero point and saturation), written straight to bytes. Where every scale is a float,
   * the quotient is taken in float: for float operands the float64 quotient rounded to float is
   * the correctly rounded float quotient (53 >= 2 * 24 + 2 bits), so the result is the same.
   */
  private static NdArray quantizeFloatToBytes(float[] xs, double[] s, long[] z, int[] map,
      DType out, long[] dims) {
    float lo = out == DType.UINT8 ? 0 : -128;
    float hi = out == DType.UINT8 ? 255 : 127;
    long[] rg = {(long) lo, (long) hi};
    byte[] o = new byte[xs.length];
    boolean floats = true;
    for (double v : s) {
      floats &= (float) v == v;
    }
    if (s.length == 1 && floats) {
      ByteQuantizer.quantize(xs, 0, xs.length, (float) s[0], z[0], lo, hi, o);
    } else if (s.length == 1) {
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

  /**
   * DynamicQuantizeLinear: uint8 with {@code scale = (max(x, 0) - min(x, 0)) / 255} and the
   * zero point that maps 0 exactly. Each element is {@code saturate(rint(x / scale) + zp)} with
   * the float32 quotient, written without widening ({@link ByteQuantizer}).
   */
  static List<RuntimeValue> dynamicQuantize(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    ctx.requireType(0, DType.FLOAT);
    float[] v = (float[]) x.array();
    int off = x.offset();
    int size = (int) x.size();
    DynamicParams p = DynamicParams.of(v, off, size);
    byte[] y = new byte[size];
    if (p.scale() == 0) {
      Arrays.fill(y, (byte) p.zeroPoint());
    } else {
      ByteQuantizer.quantize(v, off, size, p.scale(), p.zeroPoint(), 0f, 255f, y);
    }
    return List.of(NdArray.wrap(DType.UINT8, x.dims(), y), NdArray.scalarFloat(p.scale()),
        NdArray.wrap(DType.UINT8, new long[0], new byte[] {(byte) p.zeroPoint()}));
  }

  /** DynamicQuantizeLinear's uint8 scale and zero point for {@code v[off, off + size)}. */
  record DynamicParams(float scale, int zeroPoint) {
    static DynamicParams of(float[] v, int off, int size) {
      float[] range = ByteQuantizer.rangeWithZero(v, off, size);
      float min = range[0];
      float max = range[1];
      float scale = (max - min) / 255f;
      long zp = scale == 0 ? 0 : saturate((0 - min) / scale, new long[] {0, 255});
      return new DynamicParams(scale, (int) zp);
    }

    /**
     * The float32 tensor {@code x} quantized as DynamicQuantizeLinear does and re-centred on the
     * zero point, {@code q - zeroPoint} as the floats {@link IntGemm} multiplies: the uint8 tensor
     * never written. The floats are the calling thread's {@link Scratch#temporary} (at least
     * {@code x.size()} of them), valid until its next kernel.
     */
    float[] centred(NdArray x) {
      int size = x.size();
      float[] out = Scratch.get().temporary(size);
      if (scale == 0) {
        Arrays.fill(out, 0, size, 0f);
      } else {
        ByteQuantizer.quantizeCentred((float[]) x.array(), x.offset(), size, scale,
            zeroPoint, 0f, 255f, out);
      }
      return out;
    }
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
   * The 8-bit A minus its zero point (a scalar, or one per row of its last two axes), as the
   * floats {@link IntGemm} multiplies (every value exact): the calling thread's {@link
   * Scratch#temporary} (at least {@code x.size()} floats), valid until its next kernel.
   */
  static float[] centeredRows(KernelContext ctx, NdArray x, NdArray zp) {
    int m = (int) x.dim(x.rank() - 2);
    int n = (int) x.dim(x.rank() - 1);
    int[] z = zeroPoints(ctx, zp, m);
    byte[] v = (byte[]) x.array();
    int off = x.offset();
    int mask = x.dtype() == DType.UINT8 ? 0xFF : -1;
    int size = (int) x.size();
    float[] out = Scratch.get().temporary(size);
    for (int row = 0, p = 0; p < size; row++, p += n) {
      int zr = z[z.length == 1 ? 0 : row % m];
      for (int j = 0; j < n; j++) {
        out[p + j] = (v[off + p + j] & mask) - zr;
      }
    }
    return out;
  }

  /** A zero point's values: absent is 0; else a scalar or {@code per} values. */
  private static int[] zeroPoints(KernelContext ctx, NdArray zp, int per) {
    if (zp == null) {
      return new int[1];
    }
    long[] z = zp.toLongs();
    if (z.length != 1 && z.length != per) {
      throw ctx.error("zero point " + zp.describe() + " must be a scalar or have " + per
          + " elements");
    }
    int[] out = new int[z.length];
    for (int i = 0; i < z.length; i++) {
      out[i] = (int) z[i];
    }
    return out;
  }

  /** Requires an 8-bit integer operand, the only kind the quantized products take. */
  static void require8Bit(KernelContext ctx, NdArray x) {
    if (x.dtype() != DType.UINT8 && x.dtype() != DType.INT8) {
      throw ctx.unsupportedType(x.dtype());
    }
  }

  private static void requireRank2(KernelContext ctx, NdArray a, NdArray b) {
    if (a.rank() < 2 || b.rank() < 2) {
      throw new UnsupportedOpException(ctx.where() + ": operands of rank below 2 ("
          + a.describe() + ", " + b.describe() + ") are not supported");
    }
  }

  private static NdArray matMulInteger(KernelContext ctx) {
    return intMatMul(ctx, ctx.tensor(0), ctx.optionalTensor(2), 1, ctx.optionalTensor(3), false);
  }

  /**
   * {@code (A - za) (B - zb)} in int32 with MatMul's batch broadcasting, on {@link IntGemm} (see
   * {@link #intProduct}).
   */
  static NdArray intMatMul(KernelContext ctx, NdArray a, NdArray za, int bInput, NdArray zb,
      boolean transB) {
    require8Bit(ctx, a);
    IntProduct p = intProduct(ctx, a, bInput, zb, transB);
    int[] o = new int[NdArray.checkedSize(p.outDims())];
    float[] x = centeredRows(ctx, a, za);
    for (int i = 0; i < p.aIdx().length; i++) {
      IntGemm.gemm(p.m(), x, p.aIdx()[i] * p.m() * p.k(), p.b()[i], o, i * p.m() * p.n(),
          ctx.parallel());
    }
    return NdArray.wrap(DType.INT32, p.outDims(), o);
  }

  /**
   * The plan of an integer product by the node's input {@code bInput}: per output batch entry
   * {@code i}, A's matrix {@code aIdx[i]} times the packed {@code b[i]}, giving the {@code m x n}
   * matrix {@code i} of {@code outDims}.
   */
  record IntProduct(int m, int k, int n, long[] outDims, int[] aIdx, IntGemm.PackedB[] b) {}

  /**
   * Plans {@code A x (B - zb)} for A of {@code a}'s dims; B is the node's input {@code bInput},
   * stored {@code [N, K]} (rank 2) with {@code transB}. B is packed with its zero points
   * subtracted; when B is a weight the packing is kept ({@link KernelContext#weightForm}), so it
   * is packed once, not on every call.
   */
  static IntProduct intProduct(KernelContext ctx, NdArray a, int bInput, NdArray zb,
      boolean transB) {
    NdArray b = ctx.tensor(bInput);
    requireRank2(ctx, a, b);
    require8Bit(ctx, b);
    long[] ad = a.dims();
    long[] bd = transB ? new long[] {b.dim(1), b.dim(0)} : b.dims();
    MatMulGemm.BatchPlan plan = MatMulGemm.BatchPlan.of(ctx, a, b, ad, bd);
    int m = plan.m();
    int k = plan.k();
    int n = plan.n();
    long[] batch = plan.batch();
    int[] bIdx = plan.bIdx();
    long[] outDims = Arrays.copyOf(batch, batch.length + 2);
    outDims[batch.length] = m;
    outDims[batch.length + 1] = n;
    int[] zc = zeroPoints(ctx, zb, n);
    boolean unsigned = b.dtype() == DType.UINT8;
    byte[] bv = (byte[]) b.array();
    IntGemm.PackedB[] packed = new IntGemm.PackedB[bIdx.length];
    for (int i = 0; i < bIdx.length; i++) {
      int bOff = b.offset() + bIdx[i] * k * n;
      int rowStride = transB ? 1 : n;
      int colStride = transB ? k : 1;
      packed[i] = ctx.weightForm(bInput, bv, new PackKey(bOff, k, n, transB, unsigned, zc),
          () -> IntGemm.packBytes(bv, bOff, rowStride, colStride, k, n, unsigned, zc));
    }
    return new IntProduct(m, k, n, outDims, plan.aIdx(), packed);
  }

  /** What a packed B depends on besides its storage (zero points compared by value). */
  private record PackKey(int offset, int k, int n, boolean transposed, boolean unsigned,
      int[] zeroPoints) {
    @Override
    public boolean equals(Object o) {
      return o instanceof PackKey p && p.offset == offset && p.k == k && p.n == n
          && p.transposed == transposed && p.unsigned == unsigned
          && Arrays.equals(p.zeroPoints, zeroPoints);
    }

    @Override
    public int hashCode() {
      return (((offset * 31 + k) * 31 + n) * 31 + Arrays.hashCode(zeroPoints)) * 4
          + (transposed ? 2 : 0) + (unsigned ? 1 : 0);
    }
  }

  private static NdArray qLinearMatMul(KernelContext ctx) {
    NdArray acc = intMatMul(ctx, ctx.tensor(0), ctx.tensor(2), 3, ctx.tensor(5), false);
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
