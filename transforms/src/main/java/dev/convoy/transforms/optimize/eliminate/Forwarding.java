package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.List;

/**
 * The shape most eliminations share: a node whose output equals one of the values it reads (or
 * one further up), so the node goes and its readers read that value. A rule says which value, or
 * why there is none ({@link #same}); the match also checks that the value can take the output's
 * place (a graph output keeps its name), and the rewrite forwards the output to it.
 */
interface Forwarding extends MatchingRule<Value> {
  /** The value {@code n}'s output equals, or why it equals none; must not change the graph. */
  Match<Value> same(Node n);

  @Override
  default Match<Value> match(Node n, Rewriter rw) {
    Match<Value> m = same(n);
    if (!m.ok() || rw.canReplace(n.output(0), m.value())) {
      return m;
    }
    return Match.fail(n.output(0).name() + " is a graph output that " + m.value().name()
        + " cannot stand for");
  }

  @Override
  default void apply(Node n, Value same, Rewriter rw) {
    rw.replaceNode(n, List.of(same));
  }
}
