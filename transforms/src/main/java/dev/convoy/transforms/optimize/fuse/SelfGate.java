package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.Matchers;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiFunction;

/**
 * The shape the self-gated activations share, {@code Mul(x, gate(x))} in either operand order:
 * finds an operand of the Mul produced by one of the gate ops for the Mul alone and hands that
 * gate node and the other operand to a check, which says whether the gate reads x (through
 * whatever chain the activation has). What Swish, Mish and the gated activations fused into
 * their producer match.
 */
final class SelfGate {
  private SelfGate() {}

  /** The first side of {@code mul} whose {@code op} gate passes {@code check}, or why none does. */
  static <M> Match<M> match(Node mul, String op, BiFunction<Node, Value, Match<M>> check) {
    return match(mul, Set.of(op), check);
  }

  /**
   * The first side of {@code mul} whose gate, produced by one of {@code ops} (standard domain),
   * passes {@code check}, or why none does.
   */
  static <M> Match<M> match(Node mul, Set<String> ops, BiFunction<Node, Value, Match<M>> check) {
    Match<M> last = Match.fail("no operand of " + mul.name() + " is produced by "
        + String.join(" or ", new TreeSet<>(ops)));
    for (int side = 0; side < 2; side++) {
      Value v = mul.input(side);
      Node p = v == null ? null : v.producer();
      if (p == null || !p.domain().isEmpty() || !ops.contains(p.opType())) {
        continue;
      }
      Match<Node> gate = Matchers.soleProducer(v, p.opType());
      last = gate.ok() ? check.apply(gate.value(), mul.input(1 - side)) : gate.cast();
      if (last.ok()) {
        return last;
      }
    }
    return last;
  }
}
