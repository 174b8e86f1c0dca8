package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.Pattern;

/**
 * {@code Squeeze} without axes (or with an empty axes list) of an input that has no dim of size
 * 1 and no dim that could be 1: it keeps the shape. ({@code Unsqueeze} always adds a dim, so it is
 * never a no-op.)
 */
public final class EliminateNopSqueeze implements Forwarding {
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
  public Match<Value> same(Node n) {
    long[] axes = Facts.attrOrInput(n, "axes", 1, new long[0]);
    Shape in = Facts.shape(n.input(0));
    if (axes == null || axes.length != 0 || in == null || !in.hasRank()) {
      return Match.fail("the Squeeze names axes, or the input's rank is unknown");
    }
    for (Dim d : in.dims()) {
      if (!d.isStatic() || d.size() == 1) {
        return Match.fail("the input has a dim that is 1 or unknown");
      }
    }
    return Match.of(n.input(0));
  }
}
