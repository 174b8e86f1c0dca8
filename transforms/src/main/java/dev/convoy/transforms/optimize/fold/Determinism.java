package dev.convoy.transforms.optimize.fold;

import dev.convoy.ir.graph.Node;
import java.util.Set;

/**
 * Which nodes compute the same outputs every time from the same inputs: the condition for folding
 * them into constants and for merging duplicates. Random generators are not; neither is
 * anything outside the default domain, whose semantics Convoy cannot vouch for.
 */
public final class Determinism {
  private Determinism() {}

  private static final Set<String> RANDOM =
      Set.of(
          "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial",
          "Bernoulli", "Dropout");

  public static boolean isDeterministic(Node n) {
    return (n.domain().isEmpty() || n.domain().equals("ai.onnx")) && !RANDOM.contains(n.opType());
  }
}
