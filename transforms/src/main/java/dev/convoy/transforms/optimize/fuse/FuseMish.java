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
    return SelfGate.match(mul, "Tanh", (tanh, x) -> {
      Match<Node> sp = Matchers.soleProducer(tanh.input(0), "Softplus");
      if (!sp.ok()) {
        return sp.cast();
      }
      return sp.value().input(0) == x ? Match.of(new Found(x, tanh, sp.value()))
          : Match.fail("Softplus does not read the other operand of " + mul.name());
    });
  }

  @Override
  public void apply(Node mul, Found m, Rewriter rw) {
    rw.setOpType(mul, "Mish");
    rw.setInputs(mul, new ArrayList<>(List.of(m.x())));
    rw.erase(m.tanh());
    rw.erase(m.softplus());
  }
}
