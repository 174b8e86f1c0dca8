package dev.convoy.transforms.optimize.move;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Matchers;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.fuse.QuantParams;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * QDQ propagation, dequantization side: {@code op(DequantizeLinear(x))} is {@code
 * DequantizeLinear(op(x))} for an op that only moves, picks or compares elements (Reshape,
 * Flatten, Transpose, Squeeze, Unsqueeze, Slice, Gather, 8-bit MaxPool, Pad) and for a Concat
 * of dequantizations that share their parameters (one DequantizeLinear instead of one per
 * input). The op then runs on the integers and the dequantization moves next to what reads the
 * result, where a QuantizeLinear with the same parameters cancels it ({@code
 * eliminate-dequantize-quantize}) or a QDQ group forms ({@code fuse-qdq-matmul}, {@code
 * fuse-qdq-conv}); so the rule moves a dequantization only where a reader of the op's result is
 * such an op or another op it can cross (a Concat always: it saves nodes).
 *
 * <p>Exact: per tensor, dequantization is one increasing map on every element; per axis, only
 * where the op keeps every element in its slice of that axis, and the axis is renumbered as the
 * op renumbers it (a Transpose's permutation, a Squeeze's or Unsqueeze's shift, a Gather along
 * another axis...). A constant Pad value {@code v} becomes the integer {@code c} whose
 * dequantization is exactly {@code v} (bit for bit, so -0.0 has none; the default 0.0 becomes
 * the zero point); without one the rule does not fire. The dequantization must feed only the op (else it would be duplicated).
 */
public final class MoveDequantizeLinear implements MatchingRule<MoveDequantizeLinear.Found> {
  public static final String NAME = "move-dequantize-linear";

  /**
   * The dequantizations the op reads (one, or every input of a Concat), their parameters, the
   * axis of a per-axis dequantization after the op (-1 per tensor), and the integer pad value
   * (null unless the op is a constant-mode Pad).
   */
  public record Found(List<Node> dqs, QuantParams params, int axis, Long padValue) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops(QuantizedMoves.OPS.toArray(String[]::new));
  }

  @Override
  public Match<Found> match(Node op, Rewriter rw) {
    if (!op.domain().isEmpty()) {
      return Match.fail(op.name() + " is not a default-domain op");
    }
    boolean concat = op.is("Concat");
    List<Node> dqs = new ArrayList<>();
    for (int i = 0; i < (concat ? op.inputCount() : 1); i++) {
      Match<Node> dq = Matchers.soleProducer(op.input(i), "DequantizeLinear");
      if (!dq.ok()) {
        return dq.cast();
      }
      dqs.add(dq.value());
    }
    Node first = dqs.get(0);
    Match<QuantParams> pm = QuantParams.of(first);
    if (!pm.ok()) {
      return pm.cast();
    }
    QuantParams p = pm.value();
    for (Node dq : dqs.subList(1, dqs.size())) {
      Match<QuantParams> other = QuantParams.of(dq);
      if (!other.ok() || !other.value().sameAs(p)
          || QuantizedMoves.quantAxis(dq) != QuantizedMoves.quantAxis(first)) {
        return Match.fail("DequantizeLinear " + dq.name() + " and " + first.name()
            + " do not share their scale, zero point and axis");
      }
    }
    String unsupported = QuantizedMoves.unsupported(op, p.type());
    if (unsupported != null) {
      return Match.fail(unsupported);
    }
    int axis = -1;
    if (!p.perTensor()) {
      axis = QuantizedMoves.outputAxis(op, QuantizedMoves.quantAxis(first));
      if (axis < 0) {
        return Match.fail("DequantizeLinear " + first.name() + " is per axis "
            + first.intAttr("axis", 1) + ", which " + op.opType() + " " + op.name()
            + " does not keep whole");
      }
    }
    Match<Long> pad = padValue(op, p);
    if (!pad.ok()) {
      return pad.cast();
    }
    if (!concat && !feedsGroupOrMove(op.output(0))) {
      return Match.fail(op.output(0).name() + " feeds no quantization, QDQ group or other"
          + " move");
    }
    return Match.of(new Found(dqs, p, axis, pad.value()));
  }

  /** Whether a reader of {@code v} is a quantization, a QDQ group's op or a movable op. */
  private static boolean feedsGroupOrMove(Value v) {
    return v.uses().stream().map(u -> u.node()).anyMatch(n -> QuantizedMoves.isOneOf(n,
        QuantizedMoves.GROUPS) || QuantizedMoves.isOneOf(n, QuantizedMoves.OPS));
  }

  /**
   * For a constant-mode Pad: the integer whose dequantization is exactly its pad value (0.0 when
   * none is given, the zero point then); null for any other op or mode.
   */
  private static Match<Long> padValue(Node op, QuantParams p) {
    if (!op.is("Pad") || !op.stringAttr("mode", "constant").equals("constant")) {
      return Match.of(null);
    }
    Value given = op.inputCount() > 2 ? op.input(2) : null;
    Tensor t = given == null ? Tensor.ofFloats(new long[0], 0f) : given.constant();
    if (t == null || t.numElements() != 1 || !t.dtype().isFloatingPoint()) {
      return Match.fail(op.name() + "'s pad value is not a constant float scalar");
    }
    float v = (float) t.toDoubleArray()[0];
    double s = p.scales()[0];
    long c = p.zeroPoints()[0] + (long) Math.rint(v / s);
    boolean exact = Float.isFinite(v) && c >= p.min() && c <= p.max()
        && Float.floatToIntBits((float) ((c - p.zeroPoints()[0]) * s))
            == Float.floatToIntBits(v);
    return exact ? Match.of(c) : Match.fail(op.name() + " pads with " + v
        + ", which no " + p.type().textName() + " dequantizes to exactly");
  }

  @Override
  public void apply(Node op, Found f, Rewriter rw) {
    List<Value> inputs = new ArrayList<>(op.inputs());
    for (int i = 0; i < f.dqs().size(); i++) {
      inputs.set(i, f.dqs().get(i).input(0));
    }
    if (f.padValue() != null) {
      while (inputs.size() < 3) {
        inputs.add(null);
      }
      inputs.set(2, rw.constant(op.graph(), QuantizedMoves.scalar(f.params().type(),
          f.padValue()), op.name() + "_quantized_pad"));
    }
    Node moved = rw.insertBefore(op, op.opType(), inputs, 1, op.attributes(),
        op.output(0).name() + "_quantized");
    rw.setName(moved, op.name());
    rw.inferTypes(moved);
    Node first = f.dqs().get(0);
    List<Value> dqInputs = new ArrayList<>(first.inputs());
    dqInputs.set(0, moved.output(0));
    Map<String, Attribute> attrs = new LinkedHashMap<>(first.attributes());
    if (f.axis() >= 0) {
      attrs.put("axis", new Attribute.IntAttr(f.axis()));
    }
    Node dq = rw.insertBefore(op, "DequantizeLinear", dqInputs, 1, attrs, op.output(0).name());
    rw.setName(dq, first.name());
    rw.inferTypes(dq);
    rw.replaceNode(op, List.of(dq.output(0)));
    for (Node old : f.dqs()) {
      if (!old.output(0).hasUses()) {
        rw.erase(old);
      }
    }
  }
}
