package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Rule;
import java.util.List;

/**
 * {@code Dropout} in inference is the identity: its mask output must be unread, and training
 * mode (an input since opset 12, {@code is_test=0} before opset 7) must be provably off.
 */
public final class EliminateDropout implements Rule {
  public static final String NAME = "eliminate-dropout";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Dropout");
  }

  @Override
  public boolean matches(Node n, Rewriter rw) {
    Value mask = n.output(1);
    if (n.input(0) == null || (mask != null && mask.hasUses())) {
      return false;
    }
    if (n.graph().opsetVersion("") < 7 && n.intAttr("is_test", 0) == 0) {
      return false;
    }
    Value training = n.input(2);
    if (training != null) {
      long[] t = Facts.constLongs(training);
      if (t == null || t.length != 1 || t[0] != 0) {
        return false;
      }
    }
    return rw.canReplace(n.output(0), n.input(0));
  }

  @Override
  public void rewrite(Node n, Rewriter rw) {
    rw.replace(n.output(0), n.input(0));
    rw.erase(n);
  }
}
