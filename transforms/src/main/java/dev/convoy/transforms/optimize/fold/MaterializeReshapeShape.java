package dev.convoy.transforms.optimize.fold;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;

/**
 * A {@code Reshape} whose target is computed from shapes ({@code Concat(Gather(Shape(x), 0),
 * Gather(Shape(x), 1), [12, 32])}) gets a constant target instead, as onnxscript and
 * onnx-simplifier do for dynamic dims: a known element stays, an element that is provably the
 * input's own dim at the same position becomes 0 (copy; only without {@code allowzero}), and at
 * most one element that is neither becomes -1, which Reshape then infers from the element count.
 * The shape arithmetic that computed the old target is left to dead-code elimination.
 */
public final class MaterializeReshapeShape implements MatchingRule<long[]> {
  public static final String NAME = "materialize-reshape-shape";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Reshape");
  }

  /** The constant target shape, or why there is none to write. */
  @Override
  public Match<long[]> match(Node n, Rewriter rw) {
    if (n.input(1) == null || n.input(1).constant() != null) {
      return Match.fail("the shape is absent or already constant");
    }
    long[] t = target(n);
    return t != null ? Match.of(t)
        : Match.fail(n.input(1).name() + " has more than one unknown element");
  }

  @Override
  public void apply(Node n, long[] t, Rewriter rw) {
    rw.setInput(n, 1, rw.constant(n.graph(),
        Tensor.ofLongs(new long[] {t.length}, t), n.input(1).name() + "__materialized"));
  }

  /** The constant target, or null when more than one element is unknown. */
  private static long[] target(Node n) {
    var elements = ShapeElements.of(n.input(1));
    if (elements == null || Facts.rank(n.input(1)) != 1) {
      return null;
    }
    boolean allowZero = n.intAttr("allowzero", 0) != 0;
    long[] t = new long[elements.size()];
    int inferred = 0;
    for (int i = 0; i < t.length; i++) {
      var e = elements.get(i);
      if (e.isNumber()) {
        t[i] = e.number();
      } else if (!allowZero && e.isDimOf(n.input(0), i)) {
        t[i] = 0;
      } else {
        t[i] = -1;
      }
      if (t[i] < -1) {
        return null;
      }
      inferred += t[i] == -1 ? 1 : 0;
    }
    return inferred <= 1 ? t : null;
  }
}
