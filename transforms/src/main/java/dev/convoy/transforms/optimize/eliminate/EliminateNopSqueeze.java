package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Rule;
import java.util.List;

/**
 * {@code Squeeze} without axes (or with an empty axes list) of an input that has no dim of size
 * 1 and no dim that could be 1: it keeps the shape. ({@code Unsqueeze} always adds a dim, so it is
 * never a no-op.)
 */
public final class EliminateNopSqueeze implements Rule {
  public static final String NAME = "eliminate-nop-squeeze";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Squeeze");
  }

  @Override
  public boolean matches(Node n, Rewriter rw) {
    long[] axes = Facts.attrOrInput(n, "axes", 1, new long[0]);
    Shape in = Facts.shape(n.input(0));
    if (axes == null || axes.length != 0 || in == null || !in.hasRank()) {
      return false;
    }
    for (Dim d : in.dims()) {
      if (!d.isStatic() || d.size() == 1) {
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
