package dev.convoy.transforms.optimize.move;

import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
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
 * in order: it is a Reshape to its output shape, which moves no data and merges with the Reshapes
 * around it. A dim of unknown size may stay where it is (the Reshape's 0 copies it, so {@code
 * [N,1,1,C] -> [N,C,1,1]} qualifies). One Transpose fewer, always.
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
    Shape shape = Facts.shape(out);
    if (shape == null || !shape.hasRank() || shape.rank() != p.length) {
      return Match.fail(out.name() + " has no known rank");
    }
    long[] dims = new long[p.length];
    boolean copied = false;
    long last = -1;
    for (int i = 0; i < p.length; i++) {
      Dim d = shape.dim(i);
      if (d.isStatic()) {
        dims[i] = d.size();
      } else if (p[i] == i) {
        // Reshape's 0 copies the input's dim at the same index: one that stays in place.
        copied = true;
      } else {
        return Match.fail(out.name() + " has a dim of unknown size that moves (axis " + i + ")");
      }
      if (!d.isStatic() || d.size() != 1) {
        if (p[i] < last) {
          return Match.fail(out.name() + " reorders axes larger than 1");
        }
        last = p[i];
      }
    }
    boolean empty = false;
    for (int i = 0; i < p.length; i++) {
      empty |= shape.dim(i).isStatic() && dims[i] == 0;
    }
    if (copied && empty) {
      // A literal 0 would copy the input's dim there too.
      return Match.fail(out.name() + " has an empty axis beside a dim of unknown size");
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
