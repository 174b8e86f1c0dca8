package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Matchers;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.List;
import java.util.Map;

/**
 * {@code Mul(x, HardSigmoid(x, alpha = 1/6, beta = 0.5))} (either operand order) is ONNX's
 * {@code HardSwish(x)}, standard from opset 14, which is defined as exactly that product. The
 * HardSigmoid must feed only the Mul. (With {@code fuse-hard-sigmoid} first, the spelled-out
 * {@code x * relu6(x + 3) / 6} becomes one node.)
 */
public final class FuseHardSwish implements MatchingRule<FuseHardSwish.Found> {
  public static final String NAME = "fuse-hard-swish";

  /** The input and the HardSigmoid it multiplies. */
  public record Found(Value x, Node hardSigmoid) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Mul");
  }

  @Override
  public Match<Found> match(Node mul, Rewriter rw) {
    if (mul.graph().opsetVersion("") < 14) {
      return Match.fail("HardSwish needs opset 14");
    }
    String last = null;
    for (int side = 0; side < 2; side++) {
      Match<Node> hs = Matchers.soleProducer(mul.input(side), "HardSigmoid");
      if (!hs.ok()) {
        last = hs.reason();
        continue;
      }
      Node h = hs.value();
      if (h.input(0) != mul.input(1 - side)) {
        last = "HardSigmoid does not read the other operand";
      } else if (Math.abs(h.floatAttr("alpha", 0.2f) - 1 / 6.0) > Matchers.CONSTANT_RTOL
          || h.floatAttr("beta", 0.5f) != 0.5f) {
        last = "HardSigmoid alpha " + h.floatAttr("alpha", 0.2f) + ", beta "
            + h.floatAttr("beta", 0.5f) + " are not 1/6 and 0.5";
      } else {
        return Match.of(new Found(h.input(0), h));
      }
    }
    return Match.fail(last);
  }

  @Override
  public void apply(Node mul, Found m, Rewriter rw) {
    rw.replaceWithNew(mul, mul.output(0), "HardSwish", List.of(m.x()), Map.of(), mul.name());
    rw.erase(mul);
    rw.erase(m.hardSigmoid());
  }
}
