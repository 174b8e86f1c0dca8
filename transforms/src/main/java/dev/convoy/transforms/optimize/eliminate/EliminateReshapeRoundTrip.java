package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.fold.ShapeElements;

/**
 * {@code Reshape(f(x), t)} where {@code f} only changes the shape (Reshape, Flatten, Squeeze,
 * Unsqueeze) and {@code t} is provably {@code x}'s own shape is {@code x}: the data order never
 * changed. Each element of {@code t} must be {@code x}'s dim at that position (a static size, the
 * same dim read through {@code Shape}, or the same input symbol; see {@link ShapeElements}), except
 * at most one -1, which the element count then fixes to that dim. This proves round trips such as
 * {@code [B, S, 384] -> [-1, 384] -> [B, S, 384]} on symbolic shapes.
 */
public final class EliminateReshapeRoundTrip implements Forwarding {
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
  public Match<Value> same(Node n) {
    Node inner = Facts.shapeOnlyProducer(n.input(0));
    if (inner == null) {
      return Match.fail("the input is not produced by a shape-only op");
    }
    Value x = inner.input(0);
    var target = ShapeElements.of(n.input(1));
    if (target == null || target.size() != Facts.rank(x) || Facts.dtype(x) == null) {
      return Match.fail("the target is unknown or not of " + x.name() + "'s rank");
    }
    int inferred = 0;
    for (int i = 0; i < target.size(); i++) {
      var e = target.get(i);
      if (e.isNumber() && e.number() == -1) {
        inferred++;
      } else if ((e.isNumber() && e.number() == 0) || !e.isDimOf(x, i)) {
        return Match.fail("target element " + i + " is not " + x.name() + "'s dim");
      }
    }
    return inferred <= 1 ? Match.of(x) : Match.fail("more than one inferred dim");
  }
}
