package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.transforms.optimize.Pattern;

/** {@code x + 0}, {@code 0 + x} and {@code x - 0} are {@code x}. */
public final class EliminateAddZero extends EliminateNeutralElement {
  public static final String NAME = "eliminate-add-zero";

  public EliminateAddZero() {
    super(Pattern.ops("Add", "Sub"), 0.0);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  boolean commutes(Node n) {
    return n.is("Add");
  }
}
