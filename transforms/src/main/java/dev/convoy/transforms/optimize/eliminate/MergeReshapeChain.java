package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;

/**
 * {@code Reshape(f(x), s)} where {@code f} only changes the shape (Reshape, Flatten, Squeeze,
 * Unsqueeze) reads {@code x} directly: the data order is the same. The target {@code s} must be
 * constant without 0 entries (a 0 copies a dim of the immediate input, which would change
 * meaning), unless {@code allowzero} makes 0 literal.
 */
public final class MergeReshapeChain implements MatchingRule<Value> {
  public static final String NAME = "merge-reshape-chain";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Reshape");
  }

  /** The inner op's input, to reshape directly, or why the chain stays. */
  @Override
  public Match<Value> match(Node n, Rewriter rw) {
    Node inner = Facts.shapeOnlyProducer(n.input(0));
    if (inner == null) {
      return Match.fail("the input is not produced by a shape-only op");
    }
    long[] target = Facts.constLongs(n.input(1));
    if (target == null) {
      return Match.fail("the target shape is not constant");
    }
    if (n.intAttr("allowzero", 0) == 0) {
      for (long t : target) {
        if (t == 0) {
          return Match.fail("a 0 in the target copies a dim of the input it replaces");
        }
      }
    }
    return Match.of(inner.input(0));
  }

  @Override
  public void apply(Node n, Value x, Rewriter rw) {
    rw.setInput(n, 0, x);
  }
}
