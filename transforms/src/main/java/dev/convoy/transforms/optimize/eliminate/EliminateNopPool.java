package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Rule;
import java.util.List;

/**
 * {@code MaxPool} or {@code AveragePool} with a 1x..x1 window, stride 1, dilation 1 and no
 * padding: each output element is the input element. ({@code LpPool} is not: it takes |x|.) The
 * indices output of MaxPool must be unread.
 */
public final class EliminateNopPool implements Rule {
  public static final String NAME = "eliminate-nop-pool";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("MaxPool", "AveragePool");
  }

  @Override
  public boolean matches(Node n, Rewriter rw) {
    Value indices = n.output(1);
    if ((indices != null && indices.hasUses())
        || !allOnes(n.intsAttr("kernel_shape"), false)
        || !allOnes(n.intsAttr("strides"), true)
        || !allOnes(n.intsAttr("dilations"), true)) {
      return false;
    }
    long[] pads = n.intsAttr("pads");
    if (pads != null) {
      for (long p : pads) {
        if (p != 0) {
          return false;
        }
      }
    }
    return rw.canReplace(n.output(0), n.input(0));
  }

  private static boolean allOnes(long[] v, boolean absentOk) {
    if (v == null) {
      return absentOk;
    }
    for (long x : v) {
      if (x != 1) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void rewrite(Node n, Rewriter rw) {
    rw.replace(n.output(0), n.input(0));
    rw.erase(n);
  }
}
