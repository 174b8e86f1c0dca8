package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;

/**
 * {@code MaxPool} or {@code AveragePool} with a 1x..x1 window, stride 1, dilation 1 and no
 * padding: each output element is the input element. ({@code LpPool} is not: it takes |x|.) The
 * indices output of MaxPool must be unread.
 */
public final class EliminateNopPool implements Forwarding {
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
  public Match<Value> same(Node n) {
    Value indices = n.output(1);
    if (indices != null && indices.hasUses()) {
      return Match.fail("the indices are read");
    }
    if (!allOnes(n.intsAttr("kernel_shape"), false)
        || !allOnes(n.intsAttr("strides"), true)
        || !allOnes(n.intsAttr("dilations"), true)) {
      return Match.fail("the kernel, strides or dilations are not all 1");
    }
    long[] pads = n.intsAttr("pads");
    if (pads != null) {
      for (long p : pads) {
        if (p != 0) {
          return Match.fail("a pad is " + p);
        }
      }
    }
    return Match.of(n.input(0));
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
  public void apply(Node n, Value same, Rewriter rw) {
    rw.replace(n.output(0), same);
    rw.erase(n);
  }
}
