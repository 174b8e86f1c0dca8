package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.Pattern;

/** {@code Identity(x)} is {@code x}. */
public final class EliminateIdentity implements Forwarding {
  public static final String NAME = "eliminate-identity";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Identity");
  }

  @Override
  public Match<Value> same(Node n) {
    return n.input(0) != null ? Match.of(n.input(0)) : Match.fail("the Identity has no input");
  }
}
