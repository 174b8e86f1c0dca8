package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.Pattern;

/** {@code Cast} to the type its input already has. */
public final class EliminateNopCast implements Forwarding {
  public static final String NAME = "eliminate-nop-cast";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Cast");
  }

  @Override
  public Match<Value> same(Node n) {
    long to = n.intAttr("to", -1);
    DType in = Facts.dtype(n.input(0));
    return in != null && in.onnxCode() == to ? Match.of(n.input(0))
        : Match.fail("the Cast changes the type (or the input's is unknown)");
  }
}
