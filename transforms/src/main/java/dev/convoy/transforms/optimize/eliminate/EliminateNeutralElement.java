package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.Pattern;

/**
 * Shared shape of the algebraic identities {@code x op c = x}: a binary op whose constant operand
 * (on the allowed side) is all one neutral value and whose broadcast keeps {@code x}'s shape and
 * dtype. Subclasses name the op(s), the neutral value per op and element type (it must be exact
 * for every {@code x}, NaN, infinities and signed zeros included) and whether it may stand on the
 * left.
 */
abstract class EliminateNeutralElement implements Forwarding {
  private final Pattern pattern;

  EliminateNeutralElement(Pattern pattern) {
    this.pattern = pattern;
  }

  @Override
  public Pattern pattern() {
    return pattern;
  }

  /** Whether {@code n}'s constant may stand left ({@code c op x}) too: commutative ops only. */
  abstract boolean commutes(Node n);

  /** The {@code c} with {@code x op c} equal to {@code x} bit for bit for every {@code x}. */
  abstract double neutral(Node n, DType t);

  /** The operand that is the result, or why neither is. */
  @Override
  public Match<Value> same(Node n) {
    Value a = n.input(0);
    Value b = n.input(1);
    DType t = a == null || b == null ? null
        : Facts.dtype(a) != null ? Facts.dtype(a) : Facts.dtype(b);
    if (t == null) {
      return Match.fail("an operand is missing or the element type is unknown");
    }
    double neutral = neutral(n, t);
    if (Facts.isAll(b.constant(), neutral) && Facts.broadcastKeeps(a, b)) {
      return Match.of(a);
    }
    if (commutes(n) && Facts.isAll(a.constant(), neutral) && Facts.broadcastKeeps(b, a)) {
      return Match.of(b);
    }
    return Match.fail("no operand is a constant all " + neutral + " that keeps the other's shape");
  }
}
