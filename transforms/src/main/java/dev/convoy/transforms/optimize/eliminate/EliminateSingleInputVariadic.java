package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.Pattern;

/** {@code Concat}, {@code Sum}, {@code Max}, {@code Min} or {@code Mean} of one input is it. */
public final class EliminateSingleInputVariadic implements Forwarding {
  public static final String NAME = "eliminate-single-input-variadic";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Concat", "Sum", "Max", "Min", "Mean");
  }

  @Override
  public Match<Value> same(Node n) {
    return n.inputCount() == 1 && n.input(0) != null ? Match.of(n.input(0))
        : Match.fail(n.opType() + " has " + n.inputCount() + " inputs");
  }
}
