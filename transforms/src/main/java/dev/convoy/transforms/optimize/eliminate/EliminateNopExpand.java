package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Rule;
import dev.convoy.transforms.optimize.fold.ShapeElements;
import java.util.List;

/**
 * {@code Expand} whose broadcast leaves the input's shape as it is: the target has no more dims
 * than the input and each of its entries is 1 or provably the input's size there, a static size
 * or, for a target computed from shapes, the same dim or the same input symbol
 * ({@link ShapeElements}).
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
    var target = ShapeElements.of(n.input(1));
    int rank = Facts.rank(n.input(0));
    if (target == null || rank < 0 || target.size() > rank) {
      return false;
    }
    int offset = rank - target.size();
    for (int i = 0; i < target.size(); i++) {
      var e = target.get(i);
      if (!(e.isNumber() && e.number() == 1) && !e.isDimOf(n.input(0), offset + i)) {
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
