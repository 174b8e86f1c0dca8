package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Rule;
import java.util.List;

/**
 * Shared shape of the algebraic identities {@code x op c = x}: a binary op whose constant operand
 * (on the allowed side) is all one neutral value and whose broadcast keeps {@code x}'s shape and
 * dtype. Subclasses name the op(s), the neutral value and whether it may stand on the left.
 */
abstract class EliminateNeutralElement implements Rule {
  private final Pattern pattern;
  private final double neutral;

  EliminateNeutralElement(Pattern pattern, double neutral) {
    this.pattern = pattern;
    this.neutral = neutral;
  }

  @Override
  public Pattern pattern() {
    return pattern;
  }

  /** Whether {@code n}'s constant may stand left ({@code c op x}) too: commutative ops only. */
  abstract boolean commutes(Node n);

  @Override
  public boolean matches(Node n, Rewriter rw) {
    Value kept = kept(n);
    return kept != null && rw.canReplace(n.output(0), kept);
  }

  /** The operand that is the result, or null when the rule does not apply. */
  private Value kept(Node n) {
    Value a = n.input(0);
    Value b = n.input(1);
    if (a == null || b == null) {
      return null;
    }
    if (Facts.isAll(b.constant(), neutral) && Facts.broadcastKeeps(a, b)) {
      return a;
    }
    if (commutes(n) && Facts.isAll(a.constant(), neutral) && Facts.broadcastKeeps(b, a)) {
      return b;
    }
    return null;
  }

  @Override
  public void rewrite(Node n, Rewriter rw) {
    rw.replaceNode(n, List.of(kept(n)));
  }
}
