package dev.convoy.transforms.testing;

import dev.convoy.ir.graph.Node;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Rule;

/**
 * The shape of the deliberately wrong test-only rules: each fires once per graph, on the first
 * {@code Relu} it visits, and records the broken output's name in the graph's metadata under its
 * {@link #mark()}, so a test can check that verification names exactly that node.
 */
abstract class BrokenReluRule implements Rule {
  /** The metadata key under which the broken output's name is recorded. */
  abstract String mark();

  /** Replaces {@code relu} by something that computes otherwise. */
  abstract void breakRelu(Node relu, Rewriter rw);

  @Override
  public Pattern pattern() {
    return Pattern.ops("Relu");
  }

  @Override
  public boolean matches(Node n, Rewriter rw) {
    return n.graph().isTopLevel() && !n.graph().metadata().containsKey(mark());
  }

  @Override
  public void rewrite(Node n, Rewriter rw) {
    n.graph().metadata().put(mark(), n.output(0).name());
    breakRelu(n, rw);
  }
}
