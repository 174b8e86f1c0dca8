package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.Pattern;

/**
 * {@code Transpose} whose permutation keeps every axis in place (without {@code perm}, the
 * reversal: the identity only for rank 0 and 1).
 */
public final class EliminateIdentityTranspose implements Forwarding {
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
  public Match<Value> same(Node n) {
    long[] perm = n.intsAttr("perm");
    if (perm == null) {
      int rank = Facts.rank(n.input(0));
      if (rank < 0 || rank > 1) {
        return Match.fail("no perm (a reversal) on an input of rank " + rank);
      }
    } else if (!Facts.isIdentityPermutation(perm)) {
      return Match.fail("perm " + java.util.Arrays.toString(perm) + " moves an axis");
    }
    return Match.of(n.input(0));
  }
}
