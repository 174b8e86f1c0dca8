package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Rule;
import dev.convoy.transforms.optimize.fold.ShapeElements;
import java.util.List;

/**
 * {@code Reshape(f(x), t)} where {@code f} only changes the shape (Reshape, Flatten, Squeeze,
 * Unsqueeze) and {@code t} is provably {@code x}'s own shape is {@code x}: the data order never
 * changed. Each element of {@code t} must be {@code x}'s dim at that position (a static size, the
 * same dim read through {@code Shape}, or the same input symbol; see {@link ShapeElements}), except
 * at most one -1, which the element count then fixes to that dim. This proves round trips such as
 * {@code [B, S, 384] -> [-1, 384] -> [B, S, 384]} on symbolic shapes.
 */
public final class EliminateReshapeRoundTrip implements Rule {
  public static final String NAME = "eliminate-reshape-round-trip";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Reshape");
  }

  @Override
  public boolean matches(Node n, Rewriter rw) {
    Node inner = Facts.shapeOnlyProducer(n.input(0));
    if (inner == null) {
      return false;
    }
    Value x = inner.input(0);
    var target = ShapeElements.of(n.input(1));
    if (target == null || target.size() != Facts.rank(x) || Facts.dtype(x) == null) {
      return false;
    }
    int inferred = 0;
    for (int i = 0; i < target.size(); i++) {
      var e = target.get(i);
      if (e.isNumber() && e.number() == -1) {
        inferred++;
      } else if ((e.isNumber() && e.number() == 0) || !e.isDimOf(x, i)) {
        return false;
      }
    }
    return inferred <= 1 && rw.canReplace(n.output(0), x);
  }

  @Override
  public void rewrite(Node n, Rewriter rw) {
    rw.replaceNode(n, List.of(n.input(0).producer().input(0)));
  }
}
