package dev.convoy.transforms.convert.tflite;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.tensorflow.lite.schema.ActivationFunctionType;

/**
 * CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and AVERAGE_POOL_2D of an integer-quantized model
 * computed the way TFLite's runtime computes them, so the result is bit-exact rather than one
 * rounding away.
 *
 * <p>TFLite's XNNPACK kernels (what tfjs-tflite and LiteRT run int8 models with) accumulate
 * {@code (x - x_zero_point) * w + bias} exactly in int32, convert the sum to float32, multiply it
 * by the float32 requantization scale {@code input_scale * filter_scale[c] / output_scale}
 * (evaluated left to right in float32), clamp to the fused activation's quantized range and round
 * half to even. In ONNX ops that is ConvInteger / MatMulInteger, an int32 Add of the bias, Cast to
 * float, Mul by the per-channel scale and QuantizeLinear with scale 1 (its division by 1 is exact,
 * its rounding half to even), then Clip on the integer result. Lowering to float instead
 * (DequantizeLinear, a float Conv, QuantizeLinear) rounds every product and partial sum, which
 * flips an output whose exact value lies near a half step, and the flips compound over layers.
 *
 * <p>The integer path applies when the input and output are 8-bit with one scale each, the filter
 * is a constant 8-bit tensor whose zero points are all equal (per-channel scales only along the
 * output channel) and the bias, if any, is int32; anything else keeps the float lowering.
 *
 * <p>TFLite's 8-bit AVERAGE_POOL_2D (its input and output share scale and zero point) averages the
 * stored integers of the window's in-bounds elements and rounds half away from zero; the float
 * lowering subtracts the zero point first and rounds half to even, so a tie lands on the other
 * side. Here the stored integers are averaged as floats (sums of at most a few thousand int8
 * values are exact, and the quotient is a tie exactly when it is representable as one) and
 * rounded as {@code sign(x) * floor(|x| + 0.5)}.
 */
final class IntegerKernels {
  private IntegerKernels() {}

  /**
   * Whether operator {@code op} (input 0 activations, input 1 filter, input 2 optional bias) can
   * run in integers, its per-channel filter scales lying along {@code outputAxis} of the filter.
   */
  static boolean applies(Op op, int outputAxis) {
    Emitter e = op.e;
    int x = op.required(0);
    int w = op.required(1);
    Emitter.Quant qx = e.quant(x);
    Emitter.Quant qw = e.quant(w);
    Emitter.Quant qy = e.quant(op.out(0));
    if (qx == null || qw == null || qy == null || qx.perAxis() || qy.perAxis()
        || !isByte(e.dtype(x)) || !isByte(e.dtype(w)) || !isByte(e.dtype(op.out(0)))
        || !e.isConstant(w)) {
      return false;
    }
    if (qw.perAxis() && (qw.axis() != outputAxis
        || qw.scales().length != e.shape(w)[outputAxis])) {
      return false;
    }
    if (Arrays.stream(qw.zeroPoints()).anyMatch(z -> z != qw.zeroPoints()[0])) {
      return false;
    }
    return !op.has(2) || e.dtype(op.in(2)) == DType.INT32;
  }

  /** The integer convolution: {@code perm} takes the filter to ONNX's [M, C/group, kH, kW]. */
  static void conv(Op op, int[] perm, Map<String, Attribute> attrs, byte act) {
    Emitter e = op.e;
    List<Value> ins = new ArrayList<>(List.of(e.toNchw(e.raw(op.required(0))),
        e.transpose(e.raw(op.required(1)), perm), xZeroPoint(op)));
    ins.addAll(wZeroPoint(op));
    Value acc = e.node("ConvInteger", ins, attrs, e.tensorName(op.out(0)) + "_acc");
    long channels = e.shape(op.required(1))[perm[0]];
    Value y = requantize(op, acc, channels, new long[] {1, channels, 1, 1}, act);
    e.bind(op.out(0), e.toNhwc(y));
  }

  /**
   * The integer FULLY_CONNECTED of {@code x} (already [batch, K]) with the [N, K] filter: the
   * [batch, N] result at the output tensor's type.
   */
  static Value fullyConnected(Op op, Value x, byte act) {
    Emitter e = op.e;
    List<Value> ins = new ArrayList<>(List.of(x, e.transpose(e.raw(op.required(1)), 1, 0),
        xZeroPoint(op)));
    ins.addAll(wZeroPoint(op));
    Value acc = e.node("MatMulInteger", ins, Map.of(), e.tensorName(op.out(0)) + "_acc");
    long n = e.shape(op.required(1))[0];
    return requantize(op, acc, n, new long[] {n}, act);
  }

  /** Whether AVERAGE_POOL_2D {@code op} is 8-bit with equal input and output quantization. */
  static boolean appliesToAveragePool(Op op) {
    Emitter e = op.e;
    int x = op.required(0);
    Emitter.Quant qx = e.quant(x);
    Emitter.Quant qy = e.quant(op.out(0));
    return qx != null && qy != null && !qx.perAxis() && !qy.perAxis()
        && isByte(e.dtype(x)) && e.dtype(x) == e.dtype(op.out(0))
        && qx.scales()[0] == qy.scales()[0] && qx.zeroPoints()[0] == qy.zeroPoints()[0];
  }

  /** The integer AVERAGE_POOL_2D with the pooling attributes {@code attrs} (NCHW). */
  static void averagePool(Op op, Map<String, Attribute> attrs, byte act) {
    Emitter e = op.e;
    DType t = e.dtype(op.out(0));
    // Cast before and rounding after the Transpose pair, which then sits right around the pool.
    Value mean = e.toNhwc(e.node("AveragePool", List.of(e.toNchw(e.cast(e.raw(op.required(0)),
        DType.FLOAT))), attrs, e.tensorName(op.out(0)) + "_mean"));
    Value magnitude = e.node("Floor", List.of(e.node("Add", List.of(
        e.node("Abs", List.of(mean), Map.of(), null), e.constFloat(0.5f)), Map.of(), null)),
        Map.of(), null);
    Value y = e.node("Mul", List.of(e.node("Sign", List.of(mean), Map.of(), null), magnitude),
        Map.of(), null);
    Emitter.Quant qy = e.quant(op.out(0));
    long[] range = activationRange(op, act, t, qy.scales()[0], qy.zeroPoints()[0]);
    if (range != null) {
      y = e.clip(y, range[0], range[1]);
    }
    e.bind(op.out(0), e.cast(y, t));
  }

  /**
   * int32 accumulator {@code acc} (channels along the axis where {@code channelShape} has them)
   * plus bias, requantized to the output tensor's type as XNNPACK's fp32 requantization does.
   */
  private static Value requantize(Op op, Value acc, long channels, long[] channelShape,
      byte act) {
    Emitter e = op.e;
    if (op.has(2)) {
      Value bias = e.raw(op.in(2));
      if (channelShape.length > 1) {
        bias = e.node("Reshape", List.of(bias, e.constLongs(channelShape)), Map.of(), null);
      }
      acc = e.node("Add", List.of(acc, bias), Map.of(), null);
    }
    Emitter.Quant qx = e.quant(op.required(0));
    Emitter.Quant qw = e.quant(op.required(1));
    Emitter.Quant qy = e.quant(op.out(0));
    float[] scale = new float[qw.perAxis() ? (int) channels : 1];
    for (int c = 0; c < scale.length; c++) {
      float s = qx.scales()[0] * qw.scales()[c];
      scale[c] = s / qy.scales()[0];
    }
    Tensor st = qw.perAxis() ? Tensor.ofFloats(channelShape, scale)
        : Tensor.ofFloats(new long[0], scale[0]);
    Value real = e.node("Mul", List.of(e.cast(acc, DType.FLOAT), e.constant("requant_scale", st)),
        Map.of(), null);
    DType out = e.dtype(op.out(0));
    long zp = qy.zeroPoints()[0];
    Value q = e.node("QuantizeLinear", List.of(real, e.constant("unit_scale",
        Tensor.ofFloats(new long[0], 1f)), e.constant("zero_point", scalar(out, zp))),
        Map.of(), e.tensorName(op.out(0)));
    long[] range = activationRange(op, act, out, qy.scales()[0], zp);
    if (range == null) {
      return q;
    }
    return e.node("Clip", List.of(q, e.constant("min", scalar(out, range[0])),
        e.constant("max", scalar(out, range[1]))), Map.of(), null);
  }

  /**
   * The fused activation as a quantized range, as XNNPACK quantizes its float bounds
   * ({@code round(bound / scale + zero_point)}, half to even, saturated), or {@code null} when
   * the activation does not narrow the type's range.
   */
  private static long[] activationRange(Op op, byte act, DType t, float scale, long zp) {
    float lo;
    float hi;
    switch (act) {
      case ActivationFunctionType.NONE -> {
        return null;
      }
      case ActivationFunctionType.RELU -> {
        lo = 0f;
        hi = Float.POSITIVE_INFINITY;
      }
      case ActivationFunctionType.RELU6 -> {
        lo = 0f;
        hi = 6f;
      }
      case ActivationFunctionType.RELU_N1_TO_1 -> {
        lo = -1f;
        hi = 1f;
      }
      default -> throw op.unsupported("fused activation "
          + (act >= 0 && act < ActivationFunctionType.names.length
              ? ActivationFunctionType.names[act] : "code " + act)
          + " on an integer-quantized output is not imported");
    }
    long min = t == DType.INT8 ? -128 : 0;
    long max = t == DType.INT8 ? 127 : 255;
    long[] range = {quantizeBound(lo, scale, zp, min, max), quantizeBound(hi, scale, zp, min, max)};
    return range[0] == min && range[1] == max ? null : range;
  }

  private static long quantizeBound(float v, float scale, long zp, long min, long max) {
    float q = v / scale + (float) zp;
    return (long) Math.max(min, Math.min(max, Math.rint(Math.max(-1e9f, Math.min(1e9f, q)))));
  }

  private static Value xZeroPoint(Op op) {
    int x = op.required(0);
    return op.e.constant("zero_point", scalar(op.e.dtype(x), op.e.quant(x).zeroPoints()[0]));
  }

  /** The filter's zero point when it is not 0 (as ConvInteger's optional input 3), else none. */
  private static List<Value> wZeroPoint(Op op) {
    int w = op.required(1);
    long z = op.e.quant(w).zeroPoints()[0];
    return z == 0 ? List.of() : List.of(op.e.constant("zero_point", scalar(op.e.dtype(w), z)));
  }

  private static Tensor scalar(DType t, long v) {
    return Tensor.ofBytes(t, new long[0], new byte[] {(byte) v});
  }

  private static boolean isByte(DType t) {
    return t == DType.INT8 || t == DType.UINT8;
  }
}
