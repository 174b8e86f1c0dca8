package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.Pattern;
import java.util.Objects;

/**
 * A {@code QuantizeLinear -> DequantizeLinear} pair is lossy in general; it is exact when its
 * input is itself {@code DequantizeLinear(q)} with the same scale, zero point and axis, a finite
 * non-zero scale, and a middle {@code QuantizeLinear} that produces {@code q}'s own element type:
 * the re-quantization then gives back {@code q}, so the second dequantization equals the first.
 * Without a zero point {@code QuantizeLinear} produces uint8 (or its {@code output_dtype}), which
 * would clip an int8 or int32 {@code q}. The rule reads the first dequantized value directly.
 */
public final class EliminateQdqRoundTrip implements Forwarding {
  public static final String NAME = "eliminate-qdq-round-trip";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("DequantizeLinear");
  }

  @Override
  public Match<Value> same(Node dq2) {
    Node q = dq2.input(0) == null ? null : dq2.input(0).producer();
    if (q == null || !q.is("QuantizeLinear")) {
      return Match.fail("the input is not produced by QuantizeLinear");
    }
    Node dq1 = q.input(0) == null ? null : q.input(0).producer();
    if (dq1 == null || !dq1.is("DequantizeLinear")) {
      return Match.fail("the QuantizeLinear's input is not produced by DequantizeLinear");
    }
    DType quantized = Facts.dtype(dq1.input(0));
    if (quantized == null || quantized != quantizedType(q)) {
      return Match.fail("the QuantizeLinear does not produce the first one's quantized type");
    }
    if (!sameParams(dq1, q) || !sameParams(q, dq2)) {
      return Match.fail("the three ops' scale, zero point or axis differ");
    }
    if (!finiteNonZero(constant(q.input(1))) || dq1.output(0) == null) {
      return Match.fail("a scale is zero or not finite");
    }
    return Match.of(dq1.output(0));
  }

  /** Same constant scale and zero point (an absent zero point is 0 of the same type) and axis. */
  private static boolean sameParams(Node a, Node b) {
    if (a.intAttr("axis", 1) != b.intAttr("axis", 1) || a.hasAttribute("block_size")
        || b.hasAttribute("block_size")) {
      return false;
    }
    Tensor sa = constant(a.input(1));
    Tensor sb = constant(b.input(1));
    if (sa == null || !sa.equals(sb)) {
      return false;
    }
    Value za = a.input(2);
    Value zb = b.input(2);
    if (za == null || zb == null) {
      return za == zb;
    }
    return constant(za) != null && Objects.equals(constant(za), constant(zb));
  }

  /** What {@code q} produces: its zero point's type, else {@code output_dtype}, else uint8. */
  private static DType quantizedType(Node q) {
    if (q.input(2) != null) {
      return Facts.dtype(q.input(2));
    }
    long code = q.intAttr("output_dtype", 0);
    if (code == 0) {
      return DType.UINT8;
    }
    try {
      return DType.fromOnnx((int) code);
    } catch (ConvoyException e) {
      return null;
    }
  }

  private static boolean finiteNonZero(Tensor scale) {
    if (scale == null || !scale.dtype().isFloatingPoint()) {
      return false;
    }
    for (double s : scale.toDoubleArray()) {
      if (s == 0 || !Double.isFinite(s)) {
        return false;
      }
    }
    return true;
  }

  private static Tensor constant(Value v) {
    return v == null ? null : v.constant();
  }
}
