package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.transforms.optimize.Pattern;

/** {@code x * 1}, {@code 1 * x} and {@code x / 1} are {@code x}. */
public final class EliminateMulOne extends EliminateNeutralElement {
  public static final String NAME = "eliminate-mul-one";

  public EliminateMulOne() {
    super(Pattern.ops("Mul", "Div"));
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  boolean commutes(Node n) {
    return n.is("Mul");
  }

  /** {@code x * 1} is {@code x} exactly for every value, NaN, infinities and signed zeros too. */
  @Override
  double neutral(Node n, DType t) {
    return 1.0;
  }
}
