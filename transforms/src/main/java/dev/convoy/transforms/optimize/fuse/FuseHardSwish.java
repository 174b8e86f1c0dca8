package dev.convoy.transforms.optimize.fuse;

import static dev.convoy.transforms.optimize.PatternTree.op;
import static dev.convoy.transforms.optimize.PatternTree.var;

import dev.convoy.ir.graph.Node;
import dev.convoy.transforms.optimize.Binding;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.Matchers;
import dev.convoy.transforms.optimize.PatternTree;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.TreeRule;
import java.util.List;
import java.util.Map;

/**
 * {@code Mul(x, HardSigmoid(x, alpha = 1/6, beta = 0.5))} (either operand order) is ONNX's
 * {@code HardSwish(x)}, standard from opset 14, which is defined as exactly that product. The
 * HardSigmoid must feed only the Mul. (With {@code fuse-hard-sigmoid} first, the spelled-out
 * {@code x * relu6(x + 3) / 6} becomes one node.)
 */
public final class FuseHardSwish implements TreeRule<Binding> {
  public static final String NAME = "fuse-hard-swish";

  private static final PatternTree TREE =
      op("Mul", op("HardSigmoid", var("x")).named("hs"), var("x"));

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public PatternTree tree() {
    return TREE;
  }

  @Override
  public Match<Binding> check(Binding m, Rewriter rw) {
    if (m.root().graph().opsetVersion("") < 14) {
      return Match.fail("HardSwish needs opset 14");
    }
    Node h = m.node("hs");
    float alpha = h.floatAttr("alpha", 0.2f);
    float beta = h.floatAttr("beta", 0.5f);
    if (!isGate(h)) {
      return Match.fail("HardSigmoid alpha " + alpha + ", beta " + beta
          + " are not 1/6 and 0.5");
    }
    return Match.of(m);
  }

  /**
   * Whether {@code n} is {@code HardSigmoid(alpha = 1/6, beta = 1/2)}, the gate of
   * {@code x * HardSigmoid(x) = HardSwish(x)}.
   */
  static boolean isGate(Node n) {
    return n.is("HardSigmoid")
        && Math.abs(n.floatAttr("alpha", 0.2f) - 1 / 6.0) <= Matchers.CONSTANT_RTOL
        && n.floatAttr("beta", 0.5f) == 0.5f;
  }

  @Override
  public void apply(Node mul, Binding m, Rewriter rw) {
    rw.replaceWithNew(mul, mul.output(0), "HardSwish", List.of(m.value("x")), Map.of(),
        mul.name());
    rw.erase(mul);
    rw.erase(m.node("hs"));
  }
}
