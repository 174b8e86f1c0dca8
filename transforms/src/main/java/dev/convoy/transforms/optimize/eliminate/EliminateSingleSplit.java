package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.Pattern;

/** {@code Split} into one part: the part is the whole input (split sizes must sum to the dim). */
public final class EliminateSingleSplit implements Forwarding {
  public static final String NAME = "eliminate-single-split";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Split");
  }

  @Override
  public Match<Value> same(Node n) {
    return n.outputCount() == 1 && n.output(0) != null && n.input(0) != null
        ? Match.of(n.input(0)) : Match.fail("the Split has " + n.outputCount() + " outputs");
  }
}
