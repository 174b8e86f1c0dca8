package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Rule;

/**
 * {@code Where(Not(c), a, b)} is {@code Where(c, b, a)}, exactly, for every value (ONNX Runtime's
 * NotWhereFusion at its basic level). Only when the {@code Not} has no other reader, so that it
 * dies and a node is saved.
 */
public final class EliminateNotWhere implements Rule {
  public static final String NAME = "eliminate-not-where";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Where");
  }

  @Override
  public boolean matches(Node n, Rewriter rw) {
    Node not = n.input(0) == null ? null : n.input(0).producer();
    return not != null && not.is("Not") && not.domain().isEmpty()
        && Rewriter.soleConsumer(n.input(0)) == n && n.input(1) != n.input(0)
        && n.input(2) != n.input(0);
  }

  @Override
  public void rewrite(Node n, Rewriter rw) {
    var a = n.input(1);
    var b = n.input(2);
    rw.setInput(n, 0, n.input(0).producer().input(0));
    rw.setInput(n, 1, b);
    rw.setInput(n, 2, a);
  }
}
