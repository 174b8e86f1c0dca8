package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.transforms.optimize.Pattern;

/** {@code x * 1}, {@code 1 * x} and {@code x / 1} are {@code x}. */
public final class EliminateMulOne extends EliminateNeutralElement {
  public static final String NAME = "eliminate-mul-one";

  public EliminateMulOne() {
    super(Pattern.ops("Mul", "Div"), 1.0);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  boolean commutes(Node n) {
    return n.is("Mul");
  }
}
