package dev.convoy.transforms.optimize;

import dev.convoy.ir.graph.Node;

/**
 * A local rewrite. The {@link #pattern()} names the root ops (data the driver indexes by);
 * {@link #matches} checks the condition, cheap predicates first; {@link #rewrite} performs the
 * replacement, only through the {@link Rewriter} it is handed. A rule that cannot prove its
 * rewrite safe does not match. Each rule has a stable kebab-case {@link #name()} (a {@code NAME}
 * constant in its class) used to enable or disable it and in statistics. New rules are {@link
 * TreeRule}s (a pattern tree, a condition returning a match record, a rewrite taking it) or, where
 * the pattern is no tree, {@link MatchingRule}s; both match once per rewrite.
 */
public interface Rule {
  String name();

  Pattern pattern();

  /** Whether the rewrite applies at {@code root}; must not change the graph. */
  boolean matches(Node root, Rewriter rw);

  /** Rewrites at {@code root}; called only right after {@link #matches} returned true. */
  void rewrite(Node root, Rewriter rw);
}
