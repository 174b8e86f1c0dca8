package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Matchers;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;

/**
 * {@code Gemm(Transpose(A, perm = [1, 0]), B)} is {@code Gemm(A, B)} with {@code transA} flipped,
 * and likewise for B and {@code transB}: Gemm's flags are defined as that very transpose of its
 * rank-2 operands, so the product reads the same elements in the same order. The Transpose must
 * feed only the Gemm. One operand per rewrite; the driver comes back for the other.
 */
public final class FuseTransposeIntoGemm implements MatchingRule<FuseTransposeIntoGemm.Found> {
  public static final String NAME = "fuse-transpose-into-gemm";

  /** Which operand (0: A, 1: B), the Transpose that goes and its input. */
  public record Found(int operand, Node transpose, Value source) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Gemm");
  }

  @Override
  public Match<Found> match(Node gemm, Rewriter rw) {
    Match<Found> last = Match.fail("no operand of " + gemm.name() + " is a Transpose");
    for (int i = 0; i < 2; i++) {
      Value v = gemm.input(i);
      if (v == null || v.producer() == null || !v.producer().is("Transpose")) {
        continue;
      }
      Match<Node> t = Matchers.soleProducer(v, "Transpose");
      if (!t.ok()) {
        last = t.cast();
        continue;
      }
      long[] perm = t.value().intsAttr("perm");
      if (perm == null || perm.length != 2 || perm[0] != 1 || perm[1] != 0) {
        last = Match.fail("Transpose " + t.value().name() + " is not a rank-2 [1, 0] transpose");
        continue;
      }
      return Match.of(new Found(i, t.value(), t.value().input(0)));
    }
    return last;
  }

  @Override
  public void apply(Node gemm, Found m, Rewriter rw) {
    String flag = m.operand() == 0 ? "transA" : "transB";
    rw.setAttribute(gemm, flag, new Attribute.IntAttr(gemm.intAttr(flag, 0) == 0 ? 1 : 0));
    rw.setInput(gemm, m.operand(), m.source());
    rw.erase(m.transpose());
  }
}
