package dev.convoy.transforms.optimize;

import dev.convoy.ir.graph.Node;
import java.util.Set;

/**
 * The root of a rule's pattern, as data: the op types (in one domain) a rule can start from, so
 * that the driver indexes rules by op type and never offers a node to a rule that cannot match it.
 * An empty op set means "any op" (folding, dead-node removal). A {@link TreeRule}'s comes from its
 * {@link PatternTree}'s root.
 */
public record Pattern(String domain, Set<String> rootOps) {
  public Pattern {
    rootOps = Set.copyOf(rootOps);
  }

  /** Ops of the default ONNX domain. */
  public static Pattern ops(String... opTypes) {
    return new Pattern("", Set.of(opTypes));
  }

  /** Any op in any domain; the rule's own predicates decide. */
  public static Pattern anyOp() {
    return new Pattern(null, Set.of());
  }

  public boolean isAnyOp() {
    return rootOps.isEmpty();
  }

  /** Whether {@code node} can be this pattern's root. */
  public boolean accepts(Node node) {
    return isAnyOp() || (node.domain().equals(domain) && rootOps.contains(node.opType()));
  }
}
