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
 * {@code Reshape} to the shape its input already has. Proved dim by dim against the constant
 * target: each entry is the input's static size, a 0 that copies it (without {@code allowzero}),
 * or the single -1, which then must stand for the one remaining dim. Symbolic input dims are fine
 * where the target copies them.
 */
public final class EliminateNopReshape implements Rule {
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
  public boolean matches(Node n, Rewriter rw) {
    long[] target = Facts.constLongs(n.input(1));
    Shape in = Facts.shape(n.input(0));
    if (target == null || in == null || !in.hasRank() || in.rank() != target.length) {
      return false;
    }
    boolean allowZero = n.intAttr("allowzero", 0) != 0;
    int inferred = 0;
    for (int i = 0; i < target.length; i++) {
      Dim d = in.dim(i);
      long t = target[i];
      boolean same = (t == 0 && !allowZero) || (d.isStatic() && d.size() == t);
      if (!same) {
        if (t != -1) {
          return false;
        }
        inferred++;
      }
    }
    return inferred <= 1 && rw.canReplace(n.output(0), n.input(0));
  }

  @Override
  public void rewrite(Node n, Rewriter rw) {
    rw.replaceNode(n, List.of(n.input(0)));
  }
}
