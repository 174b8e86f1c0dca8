package dev.convoy.transforms.optimize.move;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.eliminate.EliminateCastRoundTrip;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code Cast(op(Cast(x: A, to=B)), to=A)}, where B holds every value of A and {@code op} only
 * moves data (Transpose, Reshape, Slice, Gather...), is {@code op(x)}: the op picks the same
 * elements in either type and the round trip returns each one unchanged. The outer Cast moves
 * down past the op's copy on {@code x} and cancels; the inner one goes when nothing else reads
 * it. These ops take every tensor type, so the moved op is valid in A.
 */
public final class MoveCastRoundTrip implements MatchingRule<Node> {
  public static final String NAME = "move-cast-round-trip";

  private static final Set<String> DATA_MOVEMENT = Set.of(
      "Transpose", "Reshape", "Squeeze", "Unsqueeze", "Flatten", "Identity", "Slice", "Gather",
      "Expand", "Tile", "DepthToSpace", "SpaceToDepth");

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Cast");
  }

  /** Matches the outer Cast; the record is the data-movement op between the two Casts. */
  @Override
  public Match<Node> match(Node outer, Rewriter rw) {
    Node op = outer.input(0) == null ? null : outer.input(0).producer();
    if (op == null || !op.domain().isEmpty() || !DATA_MOVEMENT.contains(op.opType())
        || op.outputCount() != 1) {
      return Match.fail(outer.output(0).name() + " does not read a data-movement op");
    }
    if (Rewriter.soleConsumer(op.output(0)) != outer) {
      return Match.fail(op.output(0).name() + " has another reader");
    }
    Node inner = op.input(0) == null ? null : op.input(0).producer();
    if (inner == null || !inner.is("Cast") || !inner.domain().isEmpty()) {
      return Match.fail(op.output(0).name() + " does not move the data of a Cast");
    }
    DType a = Facts.dtype(inner.input(0));
    if (a == null || a.onnxCode() != outer.intAttr("to", -1)) {
      return Match.fail(outer.output(0).name() + " does not cast back to the original type");
    }
    DType b;
    try {
      b = DType.fromOnnx((int) inner.intAttr("to", -1));
    } catch (ConvoyException e) {
      return Match.fail(inner.output(0).name() + " casts to an unknown type");
    }
    if (!EliminateCastRoundTrip.holdsAll(b, a)) {
      return Match.fail(inner.output(0).name() + " narrows " + a.textName() + " to "
          + b.textName());
    }
    return Match.of(op);
  }

  @Override
  public void apply(Node outer, Node op, Rewriter rw) {
    Node inner = op.input(0).producer();
    List<Value> inputs = new ArrayList<>(op.inputs());
    inputs.set(0, inner.input(0));
    Node moved = rw.insertBefore(op, op.opType(), inputs, 1, op.attributes(),
        op.output(0).name() + "_moved");
    rw.setName(moved, op.name());
    rw.inferTypes(moved);
    rw.replaceNode(outer, List.of(moved.output(0)));
    rw.erase(op);
    if (!inner.output(0).hasUses()) {
      rw.erase(inner);
    }
  }
}
