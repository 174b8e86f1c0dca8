package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.Pattern;
import java.util.Arrays;

/**
 * {@code Unsqueeze(Squeeze(x, a), a)} and {@code Squeeze(Unsqueeze(x, a), a)} are {@code x}: the
 * same axes removed and put back (or put in and removed). Axes are compared normalized, which
 * needs the rank of {@code x} when an axis is negative.
 */
public final class EliminateSqueezeUnsqueeze implements Forwarding {
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
  public Match<Value> same(Node outer) {
    Node inner = outer.input(0) == null ? null : outer.input(0).producer();
    String inverse = outer.is("Squeeze") ? "Unsqueeze" : "Squeeze";
    if (inner == null || !inner.is(inverse)) {
      return Match.fail("the input is not produced by " + inverse);
    }
    long[] a = Facts.attrOrInput(outer, "axes", 1, null);
    long[] b = Facts.attrOrInput(inner, "axes", 1, null);
    if (a == null || b == null || a.length == 0) {
      return Match.fail("the axes are not constant or not given");
    }
    Value x = inner.input(0);
    int xRank = Facts.rank(x);
    boolean negatives =
        Arrays.stream(a).anyMatch(v -> v < 0) || Arrays.stream(b).anyMatch(v -> v < 0);
    if (negatives && xRank < 0) {
      return Match.fail("negative axes on an input of unknown rank");
    }
    // Both axis lists index the wider of the two ranks: x's own for Squeeze-then-Unsqueeze,
    // x's plus the inserted axes for Unsqueeze-then-Squeeze.
    int wide = xRank < 0 ? Integer.MAX_VALUE : outer.is("Unsqueeze") ? xRank : xRank + a.length;
    long[] na = Facts.normalizeAxes(a, wide);
    long[] nb = Facts.normalizeAxes(b, wide);
    return na != null && nb != null && Arrays.equals(na, nb) ? Match.of(x)
        : Match.fail("the two ops' axes differ");
  }
}
