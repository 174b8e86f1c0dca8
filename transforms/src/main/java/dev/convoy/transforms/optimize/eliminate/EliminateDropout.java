package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;

/**
 * {@code Dropout} in inference is the identity: its mask output must be unread, and training
 * mode (an input since opset 12, {@code is_test=0} before opset 7) must be provably off.
 */
public final class EliminateDropout implements Forwarding {
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
  public Match<Value> same(Node n) {
    Value mask = n.output(1);
    if (n.input(0) == null || (mask != null && mask.hasUses())) {
      return Match.fail("the Dropout has no input or its mask is read");
    }
    if (n.graph().opsetVersion("") < 7 && n.intAttr("is_test", 0) == 0) {
      return Match.fail("below opset 7 without is_test the Dropout trains");
    }
    Value training = n.input(2);
    if (training != null) {
      long[] t = Facts.constLongs(training);
      if (t == null || t.length != 1 || t[0] != 0) {
        return Match.fail("training_mode is not a constant false");
      }
    }
    return Match.of(n.input(0));
  }

  @Override
  public void apply(Node n, Value same, Rewriter rw) {
    rw.replace(n.output(0), same);
    rw.erase(n);
  }
}
