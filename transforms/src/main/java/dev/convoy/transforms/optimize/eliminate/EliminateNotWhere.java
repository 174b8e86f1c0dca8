package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;

/**
 * {@code Where(Not(c), a, b)} is {@code Where(c, b, a)}, exactly, for every value (ONNX Runtime's
 * NotWhereFusion at its basic level). Only when the {@code Not} has no other reader, so that it
 * dies and a node is saved.
 */
public final class EliminateNotWhere implements MatchingRule<Value> {
  public static final String NAME = "eliminate-not-where";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Where");
  }

  /** The Not's input, the condition to select on, or why the Where keeps its Not. */
  @Override
  public Match<Value> match(Node n, Rewriter rw) {
    Node not = n.input(0) == null ? null : n.input(0).producer();
    if (not == null || !not.is("Not") || !not.domain().isEmpty()) {
      return Match.fail("the condition is not produced by Not");
    }
    if (Rewriter.soleConsumer(n.input(0)) != n || n.input(1) == n.input(0)
        || n.input(2) == n.input(0)) {
      return Match.fail(n.input(0).name() + " has another consumer");
    }
    return Match.of(not.input(0));
  }

  @Override
  public void apply(Node n, Value condition, Rewriter rw) {
    var a = n.input(1);
    var b = n.input(2);
    rw.setInput(n, 0, condition);
    rw.setInput(n, 1, b);
    rw.setInput(n, 2, a);
  }
}
