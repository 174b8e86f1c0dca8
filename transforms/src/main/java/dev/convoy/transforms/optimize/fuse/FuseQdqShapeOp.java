package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Matchers;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * QDQ propagation through a layout op: {@code QuantizeLinear(op(DequantizeLinear(q)))} with the
 * same per-tensor scale and zero point on both sides is {@code op(q)}, for a data-movement op
 * (Reshape, Flatten, Transpose, Squeeze, Unsqueeze) and for MaxPool on 8-bit values (opset 12).
 * With one scale {@code s > 0} and zero point, dequantization is the same increasing map on every
 * element, so it commutes with moving elements around and with taking maxima; and quantizing a
 * dequantized value with the same parameters gives it back ({@code (n * s) / s} is within a few
 * float32 rounding errors of the integer {@code n}, nowhere near a rounding tie), as
 * {@code eliminate-qdq-round-trip} relies on too. The QuantizeLinear node becomes the op on the
 * quantized values (its output keeps its name and integer type); the op and the
 * DequantizeLinear, which must feed only this chain, go. Per-axis parameters are left alone (the
 * axis would move), as are ops that ONNX Runtime does not run on integers.
 */
public final class FuseQdqShapeOp implements MatchingRule<FuseQdqShapeOp.Found> {
  public static final String NAME = "fuse-qdq-shape-op";

  private static final Set<String> MOVES =
      Set.of("Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "MaxPool");

  /** The op between the pair, the dequantization before it, and the quantized input. */
  public record Found(Node op, Node dq, Value q) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("QuantizeLinear");
  }

  @Override
  public Match<Found> match(Node quant, Rewriter rw) {
    Value mid = quant.input(0);
    Node op = mid == null ? null : mid.producer();
    if (op == null || !op.domain().isEmpty() || !MOVES.contains(op.opType())) {
      return Match.fail((mid == null ? "the input" : mid.name()) + " is not produced by a"
          + " layout op");
    }
    Match<Node> soleOp = Matchers.soleProducer(mid, op.opType());
    if (!soleOp.ok()) {
      return soleOp.cast();
    }
    Match<Node> dqm = Matchers.soleProducer(op.input(0), "DequantizeLinear");
    if (!dqm.ok()) {
      return dqm.cast();
    }
    Node dq = dqm.value();
    Match<QuantParams> pq = QuantParams.of(quant);
    Match<QuantParams> pdq = QuantParams.of(dq);
    if (!pq.ok() || !pdq.ok()) {
      return pq.ok() ? pdq.cast() : pq.cast();
    }
    if (!pq.value().perTensor() || !pdq.value().sameAs(pq.value())) {
      return Match.fail("QuantizeLinear " + quant.name() + " and DequantizeLinear " + dq.name()
          + " do not share one per-tensor scale and zero point");
    }
    String unsupported = unsupported(op, pq.value().type());
    if (unsupported != null) {
      return Match.fail(unsupported);
    }
    return Match.of(new Found(op, dq, dq.input(0)));
  }

  /** Why {@code op} cannot run on {@code type} values at this opset, or null. */
  private static String unsupported(Node op, DType type) {
    long opset = op.graph().opsetVersion("");
    if (op.is("Flatten") && opset < 9) {
      return "Flatten takes integers from opset 9";
    }
    if (op.is("MaxPool")) {
      if (opset < 12 || !(type == DType.INT8 || type == DType.UINT8)) {
        return "MaxPool takes 8-bit integers from opset 12";
      }
      if (op.outputCount() > 1 && op.output(1) != null && op.output(1).hasUses()) {
        return "MaxPool " + op.name() + " has its indices read";
      }
    }
    return null;
  }

  @Override
  public void apply(Node quant, Found m, Rewriter rw) {
    for (String a : new ArrayList<>(quant.attributes().keySet())) {
      rw.removeAttribute(quant, a);
    }
    m.op().attributes().forEach((k, v) -> rw.setAttribute(quant, k, v));
    rw.setOpType(quant, m.op().opType());
    List<Value> inputs = new ArrayList<>(m.op().inputs());
    inputs.set(0, m.q());
    rw.setInputs(quant, inputs);
    rw.erase(m.op());
    rw.erase(m.dq());
  }
}
