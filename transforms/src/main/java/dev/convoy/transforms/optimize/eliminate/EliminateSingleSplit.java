package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Rule;
import java.util.List;

/** {@code Split} into one part: the part is the whole input (split sizes must sum to the dim). */
public final class EliminateSingleSplit implements Rule {
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
  public boolean matches(Node n, Rewriter rw) {
    return n.outputCount() == 1
        && n.output(0) != null
        && n.input(0) != null
        && rw.canReplace(n.output(0), n.input(0));
  }

  @Override
  public void rewrite(Node n, Rewriter rw) {
    rw.replaceNode(n, List.of(n.input(0)));
  }
}
