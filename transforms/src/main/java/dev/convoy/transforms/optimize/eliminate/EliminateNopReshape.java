package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.Pattern;

/**
 * {@code Reshape} to the shape its input already has. Proved dim by dim against the constant
 * target: each entry is the input's static size, a 0 that copies it (without {@code allowzero}),
 * or the single -1, which then must stand for the one remaining dim. Symbolic input dims are fine
 * where the target copies them.
 */
public final class EliminateNopReshape implements Forwarding {
  public static final String NAME = "eliminate-nop-reshape";

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
    long[] target = Facts.constLongs(n.input(1));
    Shape in = Facts.shape(n.input(0));
    if (target == null || in == null || !in.hasRank() || in.rank() != target.length) {
      return Match.fail("the target is not constant or not of the input's rank");
    }
    boolean allowZero = n.intAttr("allowzero", 0) != 0;
    int inferred = 0;
    for (int i = 0; i < target.length; i++) {
      Dim d = in.dim(i);
      long t = target[i];
      boolean same = (t == 0 && !allowZero) || (d.isStatic() && d.size() == t);
      if (!same) {
        if (t != -1) {
          return Match.fail("target element " + i + " is " + t + ", not the input's dim");
        }
        inferred++;
      }
    }
    return inferred <= 1 ? Match.of(n.input(0)) : Match.fail("more than one inferred dim");
  }
}
