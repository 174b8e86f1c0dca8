package dev.convoy.transforms.optimize;

import dev.convoy.ir.graph.Node;

/**
 * A rule whose condition returns a {@link Match}: a small record of what it found, or a failure
 * with its reason. The driver matches once and hands the record to the rewrite, so a rule never
 * matches twice and holds no state in fields.
 */
public interface MatchingRule<M> extends Rule {
  /** The match at {@code root}, or why there is none; must not change the graph. */
  Match<M> match(Node root, Rewriter rw);

  /** Rewrites at {@code root} what {@link #match} found. */
  void apply(Node root, M match, Rewriter rw);

  @Override
  default boolean matches(Node root, Rewriter rw) {
    return match(root, rw).ok();
  }

  @Override
  default void rewrite(Node root, Rewriter rw) {
    apply(root, match(root, rw).value(), rw);
  }
}
