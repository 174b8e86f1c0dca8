package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Matchers;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code Mul(x, Tanh(Softplus(x)))} (either operand order) is ONNX's {@code Mish(x)}, standard
 * from opset 18 and defined as exactly {@code x * tanh(softplus(x))}. The Tanh and the Softplus
 * must each feed only the next step; the Mul becomes the Mish.
 */
public final class FuseMish implements MatchingRule<FuseMish.Found> {
  public static final String NAME = "fuse-mish";

  /** The input and the Tanh and Softplus that go. */
  public record Found(Value x, Node tanh, Node softplus) {}

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
    if (mul.graph().opsetVersion("") < 18) {
      return Match.fail("Mish needs opset 18");
    }
    Match<Found> last = Match.fail("no operand is produced by Tanh");
    for (int side = 0; side < 2; side++) {
      Value v = mul.input(side);
      if (v == null || v.producer() == null || !v.producer().is("Tanh")) {
        continue;
      }
      Match<Node> tanh = Matchers.soleProducer(v, "Tanh");
      if (!tanh.ok()) {
        last = tanh.cast();
        continue;
      }
      Match<Node> sp = Matchers.soleProducer(tanh.value().input(0), "Softplus");
      if (!sp.ok()) {
        last = sp.cast();
      } else if (sp.value().input(0) != mul.input(1 - side)) {
        last = Match.fail("Softplus does not read the other operand of " + mul.name());
      } else {
        return Match.of(new Found(mul.input(1 - side), tanh.value(), sp.value()));
      }
    }
    return last;
  }

  @Override
  public void apply(Node mul, Found m, Rewriter rw) {
    rw.setOpType(mul, "Mish");
    rw.setInputs(mul, new ArrayList<>(List.of(m.x())));
    rw.erase(m.tanh());
    rw.erase(m.softplus());
  }
}
