package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.Set;

/**
 * A node none of whose outputs is read. ONNX ops are side-effect free; nodes of domains Convoy
 * does not know (custom ops) are kept, since their runtime might give them effects.
 */
public final class EliminateDeadNode implements MatchingRule<Node> {
  public static final String NAME = "eliminate-dead-nodes";

  private static final Set<String> KNOWN_DOMAINS = Set.of("", "ai.onnx", "ai.onnx.ml");

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.anyOp();
  }

  @Override
  public Match<Node> match(Node n, Rewriter rw) {
    if (!KNOWN_DOMAINS.contains(n.domain())) {
      return Match.fail("an op of domain '" + n.domain() + "' may have side effects");
    }
    return Facts.outputsUnused(n) ? Match.of(n) : Match.fail("an output is read");
  }

  @Override
  public void apply(Node n, Node dead, Rewriter rw) {
    rw.erase(dead);
  }
}
