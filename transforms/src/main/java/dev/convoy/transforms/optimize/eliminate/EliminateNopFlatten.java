package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.Pattern;

/**
 * {@code Flatten} with axis 1 of a rank-2 input keeps the shape: the case of a {@code Flatten}
 * or {@code Reshape} left behind a global pooling that is already flat before a {@code Gemm}.
 */
public final class EliminateNopFlatten implements Forwarding {
  public static final String NAME = "eliminate-nop-flatten";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Flatten");
  }

  @Override
  public Match<Value> same(Node n) {
    long axis = n.intAttr("axis", 1);
    return Facts.rank(n.input(0)) == 2 && (axis == 1 || axis == -1) ? Match.of(n.input(0))
        : Match.fail("not a Flatten at axis 1 of a rank-2 input");
  }
}
