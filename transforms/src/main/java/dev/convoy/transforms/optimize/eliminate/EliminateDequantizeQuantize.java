package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.fuse.QuantParams;

/**
 * {@code QuantizeLinear(DequantizeLinear(x))} with the same constant scale, zero point and axis,
 * quantizing back to {@code x}'s own integer type, is {@code x}: {@code (x - zp) * s / s} is
 * within two float32 roundings of the integer {@code x - zp} (at most 65535 in magnitude), far
 * from a rounding tie, and lies in the type's range, so nothing saturates. This is where a
 * dequantization moved down by {@code move-dequantize-linear}, or a quantization moved up by
 * {@code move-quantize-linear}, meets its partner.
 */
public final class EliminateDequantizeQuantize implements Forwarding {
  public static final String NAME = "eliminate-dequantize-quantize";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("QuantizeLinear");
  }

  @Override
  public Match<Value> same(Node q) {
    Node dq = q.input(0) == null ? null : q.input(0).producer();
    if (dq == null || !dq.is("DequantizeLinear") || !dq.domain().isEmpty()) {
      return Match.fail("the input of " + q.name() + " is not produced by DequantizeLinear");
    }
    Match<QuantParams> pq = QuantParams.of(q);
    Match<QuantParams> pdq = QuantParams.of(dq);
    if (!pq.ok() || !pdq.ok()) {
      return pq.ok() ? pdq.cast() : pq.cast();
    }
    Value x = dq.input(0);
    if (!pq.value().sameAs(pdq.value()) || Facts.dtype(x) != pq.value().type()
        || (!pq.value().perTensor() && axis(q) != axis(dq))) {
      return Match.fail("QuantizeLinear " + q.name() + " does not undo DequantizeLinear "
          + dq.name() + " (scale, zero point, axis or type differ)");
    }
    return Match.of(x);
  }

  private static long axis(Node n) {
    long a = n.intAttr("axis", 1);
    return a < 0 ? a + Facts.rank(n.input(0)) : a;
  }
}
