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
 * {@code Expand} whose broadcast leaves the input's shape as it is: the constant target has no
 * more dims than the input and each of its entries is 1 or the input's static size there.
 */
public final class EliminateNopExpand implements Rule {
  public static final String NAME = "eliminate-nop-expand";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Expand");
  }

  @Override
  public boolean matches(Node n, Rewriter rw) {
    long[] target = Facts.constLongs(n.input(1));
    Shape in = Facts.shape(n.input(0));
    if (target == null || in == null || !in.hasRank() || target.length > in.rank()) {
      return false;
    }
    int offset = in.rank() - target.length;
    for (int i = 0; i < target.length; i++) {
      Dim d = in.dim(offset + i);
      if (target[i] != 1 && !(d.isStatic() && d.size() == target[i])) {
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
