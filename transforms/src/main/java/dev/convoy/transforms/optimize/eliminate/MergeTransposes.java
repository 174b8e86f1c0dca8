package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.move.Perms;
import java.util.List;

/**
 * {@code Transpose(Transpose(x, p), q)} is {@code Transpose(x, r)} with {@code r[j] = p[q[j]]};
 * when {@code r} is the identity, it is {@code x}. Both permutations must be explicit. The outer
 * node is rewritten in place; the inner one dies when nothing else reads it.
 */
public final class MergeTransposes implements MatchingRule<long[]> {
  public static final String NAME = "merge-transposes";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Transpose");
  }

  /** The composed permutation, or why the two Transposes stay. */
  @Override
  public Match<long[]> match(Node outer, Rewriter rw) {
    Node inner = outer.input(0) == null ? null : outer.input(0).producer();
    if (inner == null || !inner.is("Transpose")) {
      return Match.fail("the input is not produced by Transpose");
    }
    long[] r = composed(inner, outer);
    if (r == null) {
      return Match.fail("a perm is unknown or the ranks differ");
    }
    return !Facts.isIdentityPermutation(r) || rw.canReplace(outer.output(0), inner.input(0))
        ? Match.of(r)
        : Match.fail(outer.output(0).name() + " is a graph output that "
            + inner.input(0).name() + " cannot stand for");
  }

  private static long[] composed(Node inner, Node outer) {
    long[] p = Perms.of(inner);
    long[] q = Perms.of(outer);
    return p == null || q == null || p.length != q.length ? null : Perms.compose(p, q);
  }

  @Override
  public void apply(Node outer, long[] r, Rewriter rw) {
    Value x = outer.input(0).producer().input(0);
    if (Facts.isIdentityPermutation(r)) {
      rw.replaceNode(outer, List.of(x));
    } else {
      rw.setInput(outer, 0, x);
      rw.setAttribute(outer, "perm", new Attribute.IntsAttr(r));
    }
  }
}
