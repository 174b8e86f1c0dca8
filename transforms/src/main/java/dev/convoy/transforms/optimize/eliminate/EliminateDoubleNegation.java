package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.Pattern;

/** {@code Neg(Neg(x))} and {@code Not(Not(x))} are {@code x}. */
public final class EliminateDoubleNegation implements Forwarding {
  public static final String NAME = "eliminate-double-negation";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Neg", "Not");
  }

  @Override
  public Match<Value> same(Node outer) {
    Node inner = outer.input(0) == null ? null : outer.input(0).producer();
    return inner != null && inner.is(outer.opType()) && inner.input(0) != null
        ? Match.of(inner.input(0))
        : Match.fail("the input is not produced by " + outer.opType());
  }
}
