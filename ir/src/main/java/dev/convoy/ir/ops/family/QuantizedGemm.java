package dev.convoy.ir.ops.family;

import static dev.convoy.ir.ops.Kernels.one;

import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.RuntimeValue;
import dev.convoy.ir.ops.ShapeFns;
import dev.convoy.ir.ops.runtime.IntGemm;
import java.util.List;

/**
 * The integer products of ONNX Runtime's contrib domain that fusions of quantized models write,
 * registered in {@code com.microsoft} (for {@code --onnx-ops ort}) and with the same signatures in
 * {@code convoy} (for the {@code cvy} target): MatMulIntegerToFloat and DynamicQuantizeMatMul
 * (dynamic quantization's float-output projections) and QGemm (a QDQ Gemm with its int32 bias).
 * Each accumulates exactly in int32 with {@link Quantize}'s integer GEMM, then scales once.
 */
public final class QuantizedGemm implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    for (String domain : List.of(OpCatalog.CONVOY_DOMAIN, ConvoyFused.MICROSOFT)) {
      r.op(domain, "MatMulIntegerToFloat", 1).inputs(4, 7)
          .shape(ctx -> ShapeFns.tensor(DType.FLOAT, Quantize.matMulShape(ctx.shape(0), ctx.shape(1))))
          .kernel(ctx -> one(matMulIntegerToFloat(ctx)));
      r.op(domain, "DynamicQuantizeMatMul", 1).inputs(3, 5)
          .shape(ctx -> ShapeFns.tensor(DType.FLOAT, Quantize.matMulShape(ctx.shape(0), ctx.shape(1))))
          .kernel(ctx -> one(dynamicQuantizeMatMul(ctx)));
      r.op(domain, "QGemm", 1).inputs(6, 9).attr("alpha", 1.0f).attr("transA", 0L)
          .attr("transB", 0L)
          .shape(ctx -> ShapeFns.tensor(!ctx.hasInput(7) ? DType.FLOAT
                  : ctx.hasInput(8) ? ctx.dtype(8) : DType.UINT8,
              gemmShape(ctx.shape(0), ctx.shape(3), ctx.attrLong("transB") != 0)))
          .kernel(ctx -> one(qGemm(ctx)));
    }
  }

  /**
   * {@code MatMulIntegerToFloat(A, B, a_scale, b_scale, a_zero_point?, b_zero_point?, bias?)}:
   * the exact int32 product {@code (A - za)(B - zb)}, then per column {@code float(acc) *
   * (a_scale * b_scale[j]) + bias[j]}, each step rounded to float32 as the unfused {@code
   * MatMulInteger, Cast, Mul(a_scale, b_scale), Mul, Add} chain rounds it.
   */
  private static NdArray matMulIntegerToFloat(KernelContext ctx) {
    NdArray a = ctx.tensor(0);
    Quantize.require8Bit(ctx, a);
    return scaledProduct(ctx, a, Quantize.centeredRows(ctx, a, ctx.optionalTensor(4)), 1,
        ctx.optionalTensor(5), ctx.tensor(2), ctx.tensor(3), ctx.optionalTensor(6));
  }

  /**
   * {@code DynamicQuantizeMatMul(A, B, b_scale, b_zero_point?, bias?)}: A quantized as
   * DynamicQuantizeLinear does (uint8, its own scale and zero point), then {@link
   * #matMulIntegerToFloat}; the uint8 A goes straight into the centred floats the product reads.
   */
  private static NdArray dynamicQuantizeMatMul(KernelContext ctx) {
    NdArray a = ctx.tensor(0);
    ctx.requireType(0, DType.FLOAT);
    Quantize.DynamicParams q = Quantize.DynamicParams.of((float[]) a.array(), a.offset(),
        a.size());
    return scaledProduct(ctx, a, q.centred(a), 1, ctx.optionalTensor(3),
        NdArray.scalarFloat(q.scale()), ctx.tensor(2), ctx.optionalTensor(4));
  }

  /**
   * The exact product of the centred A ({@code x}, of {@code a}'s dims) by input {@code bInput}
   * minus {@code zb}, scaled per column by {@code a_scale * b_scale[j]} and biased, written into
   * output 0 tile by tile ({@link IntGemm#gemmScaled}).
   */
  private static NdArray scaledProduct(KernelContext ctx, NdArray a, float[] x, int bInput,
      NdArray zb, NdArray aScale, NdArray bScale, NdArray bias) {
    Quantize.IntProduct p = Quantize.intProduct(ctx, a, bInput, zb, false);
    int n = p.n();
    if (aScale.dtype() != DType.FLOAT || aScale.size() != 1) {
      throw ctx.error("a_scale " + aScale.describe() + " must be one float32");
    }
    if (bScale.dtype() != DType.FLOAT || (bScale.size() != 1 && bScale.size() != n)) {
      throw ctx.error("b_scale " + bScale.describe() + " must be float32, one or " + n);
    }
    if (bias != null && (bias.dtype() != DType.FLOAT || bias.size() != n)) {
      throw ctx.error("bias " + bias.describe() + " must be " + n + " float32 values");
    }
    float as = aScale.floats()[0];
    float[] b = bScale.floats();
    float[] multiplier = new float[n];
    for (int j = 0; j < n; j++) {
      multiplier[j] = as * b[b.length == 1 ? 0 : j];
    }
    float[] c = bias == null ? null : bias.floats();
    NdArray y = ctx.output(0, DType.FLOAT, p.outDims());
    float[] o = (float[]) y.array();
    int mn = p.m() * n;
    for (int i = 0; i < p.aIdx().length; i++) {
      IntGemm.gemmScaled(p.m(), x, p.aIdx()[i] * p.m() * p.k(), p.b()[i], multiplier, c, o,
          y.offset() + i * mn, ctx.parallel());
    }
    return y;
  }

  private static Shape gemmShape(Shape a, Shape b, boolean transB) {
    if (!a.hasRank() || !b.hasRank() || a.rank() != 2 || b.rank() != 2) {
      return Shape.unknownRank();
    }
    return Shape.of(List.of(a.dim(0), b.dim(transB ? 0 : 1)));
  }

  /**
   * ONNX Runtime's {@code QGemm(A, a_scale, a_zp, B, b_scale, b_zp, C?, y_scale?, y_zp?)}
   * (transA 0): the exact int32 product, plus the int32 bias C (scale {@code a_scale *
   * b_scale}), times {@code alpha * a_scale * b_scale[j]}; requantized to y's type with y's
   * scale and zero point (rounding half to even, saturating), or float without {@code y_scale}.
   */
  private static NdArray qGemm(KernelContext ctx) {
    if (ctx.attrLong("transA") != 0) {
      throw new UnsupportedOpException(ctx.where() + ": QGemm with transA is not supported");
    }
    NdArray a = ctx.tensor(0);
    NdArray b = ctx.tensor(3);
    if (a.rank() != 2 || b.rank() != 2) {
      throw ctx.error("A " + a.describe() + " and B " + b.describe() + " must be matrices");
    }
    NdArray acc = Quantize.intMatMul(ctx, a, ctx.tensor(2), 3, ctx.tensor(5),
        ctx.attrLong("transB") != 0);
    long[] dims = acc.dims();
    int n = (int) dims[1];
    double as = ctx.scalarDouble(1, 1);
    double[] bs = ctx.tensor(4).toDoubles();
    long[] c = ctx.hasInput(6) ? ctx.tensor(6).toLongs() : new long[n];
    if ((bs.length != 1 && bs.length != n) || (c.length != 1 && c.length != n)) {
      throw ctx.error("b_scale and C must be one value or one per column of " + n);
    }
    double alpha = ctx.attrFloat("alpha");
    int[] v = acc.ints();
    if (!ctx.hasInput(7)) {
      float[] o = new float[v.length];
      for (int i = 0; i < v.length; i++) {
        int j = i % n;
        o[i] = (float) ((v[i] + c[c.length == 1 ? 0 : j]) * (alpha * as * bs[bs.length == 1 ? 0
            : j]));
      }
      return NdArray.wrap(DType.FLOAT, dims, o);
    }
    double ys = ctx.scalarDouble(7, 1);
    DType yt = ctx.hasInput(8) ? ctx.tensor(8).dtype() : DType.UINT8;
    long zp = ctx.hasInput(8) ? ctx.tensor(8).getLong(0) : 0;
    long[] rg = Quantize.range(ctx, yt);
    NdArray y = NdArray.allocate(yt, dims);
    for (int i = 0; i < v.length; i++) {
      int j = i % n;
      double scale = alpha * as * bs[bs.length == 1 ? 0 : j] / ys;
      y.setLong(i, Quantize.saturate(Math.rint((v[i] + c[c.length == 1 ? 0 : j]) * scale) + zp, rg));
    }
    return y;
  }
}
