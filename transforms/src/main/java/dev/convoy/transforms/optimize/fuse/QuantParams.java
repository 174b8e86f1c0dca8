package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import java.util.Arrays;

/**
 * The constant parameters of a {@code QuantizeLinear} or {@code DequantizeLinear}, as the QDQ
 * rules need them: the scales, the zero points (0 when omitted), the integer type quantized values
 * have and its range. Only 8- and 16-bit integer types with finite, positive scales and no block
 * quantization are read; anything else is a failure with its reason.
 */
public record QuantParams(DType type, double[] scales, long[] zeroPoints) {

  /** The parameters of {@code n} (a QuantizeLinear or DequantizeLinear), or why there are none. */
  public static Match<QuantParams> of(Node n) {
    if (n.intAttr("block_size", 0) != 0) {
      return Match.fail(n.opType() + " " + n.name() + " uses block quantization");
    }
    Tensor s = n.input(1) == null ? null : n.input(1).constant();
    if (s == null || !s.dtype().isFloatingPoint()) {
      return Match.fail(n.opType() + " " + n.name() + " has no constant float scale");
    }
    double[] scales = s.toDoubleArray();
    for (double v : scales) {
      if (!(v > 0) || !Double.isFinite(v)) {
        return Match.fail(n.opType() + " " + n.name() + " has scale " + v
            + ", not finite and positive");
      }
    }
    Value zv = n.inputCount() > 2 ? n.input(2) : null;
    Tensor z = zv == null ? null : zv.constant();
    if (zv != null && z == null) {
      return Match.fail(n.opType() + " " + n.name() + " has a zero point that is not constant");
    }
    DType type = z != null ? z.dtype() : defaultType(n);
    if (type == null || !(type == DType.UINT8 || type == DType.INT8 || type == DType.UINT16
        || type == DType.INT16)) {
      return Match.fail(n.opType() + " " + n.name() + " quantizes to " + type
          + ", not an 8- or 16-bit integer");
    }
    long[] zps = z == null ? new long[] {0} : z.toLongArray();
    return Match.of(new QuantParams(type, scales, zps));
  }

  /** What a QuantizeLinear without zero point produces; a DequantizeLinear reads its input type. */
  private static DType defaultType(Node n) {
    if (n.is("DequantizeLinear")) {
      return Facts.dtype(n.input(0));
    }
    long code = n.intAttr("output_dtype", 0);
    try {
      return code == 0 ? DType.UINT8 : DType.fromOnnx((int) code);
    } catch (ConvoyException e) {
      return null;
    }
  }

  /** Whether both parameter sets are one scale and one zero point. */
  public boolean perTensor() {
    return scales.length == 1 && zeroPoints.length == 1;
  }

  /** Whether {@code other} has the same type, scale values and zero points. */
  public boolean sameAs(QuantParams other) {
    return type == other.type && Arrays.equals(scales, other.scales)
        && Arrays.equals(zeroPoints, other.zeroPoints);
  }

  /** The smallest value of the quantized type. */
  public long min() {
    return switch (type) {
      case INT8 -> Byte.MIN_VALUE;
      case INT16 -> Short.MIN_VALUE;
      default -> 0;
    };
  }

  /** The largest value of the quantized type. */
  public long max() {
    return switch (type) {
      case INT8 -> Byte.MAX_VALUE;
      case INT16 -> Short.MAX_VALUE;
      case UINT16 -> 0xffff;
      default -> 0xff;
    };
  }
}
