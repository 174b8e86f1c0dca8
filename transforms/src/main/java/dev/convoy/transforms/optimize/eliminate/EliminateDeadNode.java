package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Rule;
import java.util.Set;

/**
 * A node none of whose outputs is read. ONNX ops are side-effect free; nodes of domains Convoy
 * does not know (custom ops) are kept, since their runtime might give them effects.
 */
public final class EliminateDeadNode implements Rule {
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
  public boolean matches(Node n, Rewriter rw) {
    return KNOWN_DOMAINS.contains(n.domain()) && Facts.outputsUnused(n);
  }

  @Override
  public void rewrite(Node n, Rewriter rw) {
    rw.erase(n);
  }
}
