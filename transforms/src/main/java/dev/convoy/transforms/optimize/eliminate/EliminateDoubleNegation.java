package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Rule;
import java.util.List;

/** {@code Neg(Neg(x))} and {@code Not(Not(x))} are {@code x}. */
public final class EliminateDoubleNegation implements Rule {
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
  public boolean matches(Node outer, Rewriter rw) {
    Node inner = outer.input(0) == null ? null : outer.input(0).producer();
    return inner != null
        && inner.is(outer.opType())
        && inner.input(0) != null
        && rw.canReplace(outer.output(0), inner.input(0));
  }

  @Override
  public void rewrite(Node outer, Rewriter rw) {
    rw.replaceNode(outer, List.of(outer.input(0).producer().input(0)));
  }
}
