package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.fold.ShapeElements;

/**
 * {@code Expand} whose broadcast leaves the input's shape as it is: the target has no more dims
 * than the input and each of its entries is 1 or provably the input's size there, a static size
 * or, for a target computed from shapes, the same dim or the same input symbol
 * ({@link ShapeElements}).
 */
public final class EliminateNopExpand implements Forwarding {
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
  public Match<Value> same(Node n) {
    var target = ShapeElements.of(n.input(1));
    int rank = Facts.rank(n.input(0));
    if (target == null || rank < 0 || target.size() > rank) {
      return Match.fail("the target shape is unknown or longer than the input's rank");
    }
    int offset = rank - target.size();
    for (int i = 0; i < target.size(); i++) {
      var e = target.get(i);
      if (!(e.isNumber() && e.number() == 1) && !e.isDimOf(n.input(0), offset + i)) {
        return Match.fail("target element " + i + " may broadcast the input");
      }
    }
    return Match.of(n.input(0));
  }
}
