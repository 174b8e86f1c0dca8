package dev.convoy.transforms.optimize.move;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.List;
import java.util.Map;

/**
 * A Transpose that only moves axes of size 1 ({@code [1,49,40,1] -> [1,1,49,40]}) keeps the data
 * in order: it is a Reshape to its static output shape, which moves no data and merges with the
 * Reshapes around it. One Transpose fewer, always.
 */
public final class TransposeToReshape implements MatchingRule<long[]> {
  public static final String NAME = "transpose-to-reshape";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Transpose");
  }

  @Override
  public Match<long[]> match(Node t, Rewriter rw) {
    long[] p = Perms.of(t);
    Value out = t.output(0);
    if (p == null) {
      return Match.fail(out.name() + " has no explicit permutation");
    }
    long[] dims = Facts.staticDims(out);
    if (dims == null) {
      return Match.fail(out.name() + " has no static shape");
    }
    if (!SinkPlan.keepsDataOrder(out, p)) {
      return Match.fail(out.name() + " reorders axes larger than 1");
    }
    return Match.of(dims);
  }

  @Override
  public void apply(Node t, long[] dims, Rewriter rw) {
    Value shape = rw.constant(t.graph(), Tensor.ofLongs(new long[] {dims.length}, dims),
        t.output(0).name() + "_shape");
    Node r = rw.insertBefore(t, "Reshape", List.of(t.input(0), shape), 1, Map.of(),
        t.output(0).name() + "_reshaped");
    rw.setName(r, t.name());
    rw.inferTypes(r);
    rw.replaceNode(t, List.of(r.output(0)));
  }
}
