package dev.convoy.transforms.optimize;

import dev.convoy.ir.graph.Node;

/**
 * A {@link MatchingRule} whose match comes from a {@link PatternTree}: the rule declares the tree
 * (the driver indexes the rule by its root ops) and the condition on what the tree bound, which
 * returns the match record or the reason the rewrite does not apply. Commutation, repeated
 * variables, constants and sole use are the matcher's; the condition holds only what is
 * particular to the rule (attribute values, shapes, the target).
 */
public interface TreeRule<M> extends MatchingRule<M> {
  /** The pattern, rooted at the op the rule rewrites. */
  PatternTree tree();

  /** The match record for what {@link #tree} bound, or why the rule does not apply there. */
  Match<M> check(Binding binding, Rewriter rw);

  @Override
  default Pattern pattern() {
    return tree().rootPattern();
  }

  @Override
  default Match<M> match(Node root, Rewriter rw) {
    return tree().match(root, b -> check(b, rw));
  }
}
