package dev.convoy.transforms.optimize.move;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
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
import java.util.Set;

/**
 * QDQ propagation, quantization side: {@code QuantizeLinear(op(y))} is {@code
 * op(QuantizeLinear(y))} for an op that only moves elements (Reshape, Flatten, Transpose,
 * Squeeze, Unsqueeze) or pads them with zeros (constant-mode Pad with pad value 0, which
 * quantizes to the zero point; edge, reflect and wrap pads move elements). The quantization
 * moves up next to what computes {@code y}: a MatMul, Conv or Gemm then forms a QDQ group
 * ({@code fuse-qdq-matmul}...), a DequantizeLinear meets it and cancels; the rule fires only
 * where {@code y} comes from such an op or from another op it can cross. Ops that drop elements
 * (Slice, Gather, MaxPool) are left alone: quantizing before them would quantize what they drop.
 *
 * <p>Exact: per tensor, quantization ({@code saturate(round(y / s) + zp)}) is one non-decreasing
 * map on every element; per axis, only where the op keeps every element in its slice of that
 * axis, renumbered backwards through the op. The op must feed only the quantization.
 */
public final class MoveQuantizeLinear implements MatchingRule<MoveQuantizeLinear.Found> {
  public static final String NAME = "move-quantize-linear";

  private static final Set<String> OPS =
      Set.of("Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Pad");

  /**
   * The op the quantization moves above, its parameters, the axis of a per-axis quantization on
   * the op's input (-1 per tensor), and whether the op is a constant-mode Pad (whose pad value
   * becomes the zero point).
   */
  public record Found(Node op, QuantParams params, int axis, boolean constantPad) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("QuantizeLinear");
  }

  @Override
  public Match<Found> match(Node q, Rewriter rw) {
    Value mid = q.input(0);
    Node op = mid == null ? null : mid.producer();
    if (!QuantizedMoves.isOneOf(op, OPS)) {
      return Match.fail((mid == null ? "the input" : mid.name()) + " is not produced by an op"
          + " the quantization can cross");
    }
    String notSole = Matchers.notSoleUse(mid, 1);
    if (notSole != null) {
      return Match.fail(notSole);
    }
    Match<QuantParams> pm = QuantParams.of(q);
    if (!pm.ok()) {
      return pm.cast();
    }
    QuantParams p = pm.value();
    String unsupported = QuantizedMoves.unsupported(op, p.type());
    if (unsupported != null) {
      return Match.fail(unsupported);
    }
    int axis = -1;
    if (!p.perTensor()) {
      axis = inputAxis(op, QuantizedMoves.quantAxis(q));
      if (axis < 0) {
        return Match.fail("QuantizeLinear " + q.name() + " is per axis " + q.intAttr("axis", 1)
            + ", which " + op.opType() + " " + op.name() + " does not keep whole");
      }
    }
    boolean constantPad = op.is("Pad") && op.stringAttr("mode", "constant").equals("constant");
    if (constantPad && !padsWithZero(op)) {
      return Match.fail(op.name() + " pads with a value other than a constant 0");
    }
    Node source = op.input(0).producer();
    if (!QuantizedMoves.isOneOf(source, QuantizedMoves.GROUPS)
        && !QuantizedMoves.isOneOf(source, OPS)) {
      return Match.fail(op.input(0).name() + " comes from no QDQ group's op, dequantization or"
          + " other move");
    }
    return Match.of(new Found(op, p, axis, constantPad));
  }

  /** The axis of {@code op}'s first input that lands on output axis {@code axis}, or -1. */
  private static int inputAxis(Node op, int axis) {
    int rank = Facts.rank(op.input(0));
    for (int a = 0; a < rank && axis >= 0; a++) {
      if (QuantizedMoves.outputAxis(op, a) == axis) {
        return a;
      }
    }
    return -1;
  }

  private static boolean padsWithZero(Node pad) {
    Value v = pad.inputCount() > 2 ? pad.input(2) : null;
    Tensor t = v == null ? null : v.constant();
    return v == null || (t != null && t.numElements() == 1 && t.toDoubleArray()[0] == 0);
  }

  @Override
  public void apply(Node q, Found f, Rewriter rw) {
    Node op = f.op();
    List<Value> qInputs = new ArrayList<>(q.inputs());
    qInputs.set(0, op.input(0));
    Map<String, Attribute> attrs = new LinkedHashMap<>(q.attributes());
    if (f.axis() >= 0) {
      attrs.put("axis", new Attribute.IntAttr(f.axis()));
    }
    Node moved = rw.insertBefore(op, "QuantizeLinear", qInputs, 1, attrs,
        op.input(0).name() + "_quantized");
    rw.setName(moved, q.name());
    rw.inferTypes(moved);
    List<Value> inputs = new ArrayList<>(op.inputs());
    inputs.set(0, moved.output(0));
    if (f.constantPad()) {
      while (inputs.size() < 3) {
        inputs.add(null);
      }
      inputs.set(2, rw.constant(op.graph(), QuantizedMoves.scalar(f.params().type(),
          f.params().zeroPoints()[0]), op.name() + "_quantized_pad"));
    }
    Node after = rw.insertBefore(op, op.opType(), inputs, 1, op.attributes(),
        q.output(0).name());
    rw.setName(after, op.name());
    rw.inferTypes(after);
    rw.replaceNode(q, List.of(after.output(0)));
    rw.erase(op);
  }
}
