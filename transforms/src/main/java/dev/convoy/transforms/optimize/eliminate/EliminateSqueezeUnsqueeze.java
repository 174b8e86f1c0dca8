package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Rule;
import java.util.Arrays;
import java.util.List;

/**
 * {@code Unsqueeze(Squeeze(x, a), a)} and {@code Squeeze(Unsqueeze(x, a), a)} are {@code x}: the
 * same axes removed and put back (or put in and removed). Axes are compared normalized, which
 * needs the rank of {@code x} when an axis is negative.
 */
public final class EliminateSqueezeUnsqueeze implements Rule {
  public static final String NAME = "eliminate-squeeze-unsqueeze";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Squeeze", "Unsqueeze");
  }

  @Override
  public boolean matches(Node outer, Rewriter rw) {
    Node inner = outer.input(0) == null ? null : outer.input(0).producer();
    String inverse = outer.is("Squeeze") ? "Unsqueeze" : "Squeeze";
    if (inner == null || !inner.is(inverse)) {
      return false;
    }
    long[] a = Facts.attrOrInput(outer, "axes", 1, null);
    long[] b = Facts.attrOrInput(inner, "axes", 1, null);
    if (a == null || b == null || a.length == 0) {
      return false;
    }
    Value x = inner.input(0);
    int xRank = Facts.rank(x);
    boolean negatives =
        Arrays.stream(a).anyMatch(v -> v < 0) || Arrays.stream(b).anyMatch(v -> v < 0);
    if (negatives && xRank < 0) {
      return false;
    }
    // Both axis lists index the wider of the two ranks: x's own for Squeeze-then-Unsqueeze,
    // x's plus the inserted axes for Unsqueeze-then-Squeeze.
    int wide = xRank < 0 ? Integer.MAX_VALUE : outer.is("Unsqueeze") ? xRank : xRank + a.length;
    long[] na = Facts.normalizeAxes(a, wide);
    long[] nb = Facts.normalizeAxes(b, wide);
    return na != null && nb != null && Arrays.equals(na, nb) && rw.canReplace(outer.output(0), x);
  }

  @Override
  public void rewrite(Node outer, Rewriter rw) {
    rw.replaceNode(outer, List.of(outer.input(0).producer().input(0)));
  }
}
