package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Matchers;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code Add(a, Neg(b))} (either operand order) is {@code Sub(a, b)} and {@code Sub(a, Neg(b))} is
 * {@code Add(a, b)}: IEEE 754 defines {@code a - b} as {@code a + (-b)}, so the results agree for
 * every value, signed zeros, infinities and NaN included, and two's-complement integers wrap the
 * same way. Neg keeps b's shape, so the broadcast is unchanged. The Neg must feed only the root,
 * which changes op in place.
 */
public final class FuseNegIntoAddSub implements MatchingRule<FuseNegIntoAddSub.Found> {
  public static final String NAME = "fuse-neg-into-add-sub";

  /** The operands of the new op and the Neg that goes. */
  public record Found(String op, Value a, Value b, Node neg) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Add", "Sub");
  }

  @Override
  public Match<Found> match(Node root, Rewriter rw) {
    int sides = root.is("Add") ? 2 : 1;
    Match<Found> last = Match.fail(root.name() + " subtracts no Neg");
    for (int k = 0; k < sides; k++) {
      int side = 1 - k;
      Value v = root.input(side);
      if (v == null || v.producer() == null || !v.producer().is("Neg")) {
        continue;
      }
      Match<Node> neg = Matchers.soleProducer(v, "Neg");
      if (!neg.ok()) {
        last = neg.cast();
        continue;
      }
      return Match.of(new Found(root.is("Add") ? "Sub" : "Add", root.input(1 - side),
          neg.value().input(0), neg.value()));
    }
    return last;
  }

  @Override
  public void apply(Node root, Found m, Rewriter rw) {
    rw.setOpType(root, m.op());
    rw.setInputs(root, new ArrayList<>(List.of(m.a(), m.b())));
    rw.erase(m.neg());
  }
}
