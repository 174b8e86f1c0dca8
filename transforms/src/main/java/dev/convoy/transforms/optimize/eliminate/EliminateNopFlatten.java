package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Rule;
import java.util.List;

/**
 * {@code Flatten} with axis 1 of a rank-2 input keeps the shape: the case of a {@code Flatten}
 * or {@code Reshape} left behind a global pooling that is already flat before a {@code Gemm}.
 */
public final class EliminateNopFlatten implements Rule {
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
  public boolean matches(Node n, Rewriter rw) {
    long axis = n.intAttr("axis", 1);
    return Facts.rank(n.input(0)) == 2
        && (axis == 1 || axis == -1)
        && rw.canReplace(n.output(0), n.input(0));
  }

  @Override
  public void rewrite(Node n, Rewriter rw) {
    rw.replaceNode(n, List.of(n.input(0)));
  }
}
