package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.Pattern;

/** {@code Pad} whose pads are all zero (an attribute before opset 11, a constant input after). */
public final class EliminateZeroPad implements Forwarding {
  public static final String NAME = "eliminate-zero-pad";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Pad");
  }

  @Override
  public Match<Value> same(Node n) {
    long[] pads = Facts.attrOrInput(n, "pads", 1, null);
    if (pads == null) {
      return Match.fail("the pads are not constant");
    }
    for (long p : pads) {
      if (p != 0) {
        return Match.fail("a pad is " + p);
      }
    }
    return Match.of(n.input(0));
  }
}
