package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.transforms.optimize.Pattern;

/**
 * {@code x + (-0.0)}, {@code (-0.0) + x} and {@code x - 0.0} are {@code x} for every float
 * {@code x}; {@code x + 0.0} is not ({@code -0.0 + 0.0 = +0.0}), nor is {@code x - (-0.0)}. For
 * integers any zero is neutral.
 */
public final class EliminateAddZero extends EliminateNeutralElement {
  public static final String NAME = "eliminate-add-zero";

  public EliminateAddZero() {
    super(Pattern.ops("Add", "Sub"));
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  boolean commutes(Node n) {
    return n.is("Add");
  }

  @Override
  double neutral(Node n, DType t) {
    return t.isFloatingPoint() && n.is("Add") ? -0.0 : 0.0;
  }
}
