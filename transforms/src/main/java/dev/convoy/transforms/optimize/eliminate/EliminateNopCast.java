package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Rule;
import java.util.List;

/** {@code Cast} to the type its input already has. */
public final class EliminateNopCast implements Rule {
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
  public boolean matches(Node n, Rewriter rw) {
    long to = n.intAttr("to", -1);
    DType in = Facts.dtype(n.input(0));
    return in != null && in.onnxCode() == to && rw.canReplace(n.output(0), n.input(0));
  }

  @Override
  public void rewrite(Node n, Rewriter rw) {
    rw.replaceNode(n, List.of(n.input(0)));
  }
}
