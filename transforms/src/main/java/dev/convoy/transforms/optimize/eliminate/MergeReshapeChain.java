package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Rule;

/**
 * {@code Reshape(f(x), s)} where {@code f} only changes the shape (Reshape, Flatten, Squeeze,
 * Unsqueeze) reads {@code x} directly: the data order is the same. The target {@code s} must be
 * constant without 0 entries (a 0 copies a dim of the immediate input, which would change
 * meaning), unless {@code allowzero} makes 0 literal.
 */
public final class MergeReshapeChain implements Rule {
  public static final String NAME = "merge-reshape-chain";

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
    if (Facts.shapeOnlyProducer(n.input(0)) == null) {
      return false;
    }
    long[] target = Facts.constLongs(n.input(1));
    if (target == null) {
      return false;
    }
    if (n.intAttr("allowzero", 0) == 0) {
      for (long t : target) {
        if (t == 0) {
          return false;
        }
      }
    }
    return true;
  }

  @Override
  public void rewrite(Node n, Rewriter rw) {
    rw.setInput(n, 0, n.input(0).producer().input(0));
  }
}
