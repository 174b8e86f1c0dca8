package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Rule;
import java.util.List;

/** {@code Pad} whose pads are all zero (an attribute before opset 11, a constant input after). */
public final class EliminateZeroPad implements Rule {
  public static final String NAME = "eliminate-zero-pad";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Pad");
  }

  @Override
  public boolean matches(Node n, Rewriter rw) {
    long[] pads = Facts.attrOrInput(n, "pads", 1, null);
    if (pads == null) {
      return false;
    }
    for (long p : pads) {
      if (p != 0) {
        return false;
      }
    }
    return rw.canReplace(n.output(0), n.input(0));
  }

  @Override
  public void rewrite(Node n, Rewriter rw) {
    rw.replaceNode(n, List.of(n.input(0)));
  }
}
