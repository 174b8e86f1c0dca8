package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Rule;
import java.util.List;

/**
 * {@code Transpose} whose permutation keeps every axis in place (without {@code perm}, the
 * reversal: the identity only for rank 0 and 1).
 */
public final class EliminateIdentityTranspose implements Rule {
  public static final String NAME = "eliminate-identity-transpose";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Transpose");
  }

  @Override
  public boolean matches(Node n, Rewriter rw) {
    long[] perm = n.intsAttr("perm");
    if (perm == null) {
      int rank = Facts.rank(n.input(0));
      if (rank < 0 || rank > 1) {
        return false;
      }
    } else if (!Facts.isIdentityPermutation(perm)) {
      return false;
    }
    return rw.canReplace(n.output(0), n.input(0));
  }

  @Override
  public void rewrite(Node n, Rewriter rw) {
    rw.replaceNode(n, List.of(n.input(0)));
  }
}
