package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code Mul(x, Sigmoid(x))} (either operand order; SiLU) is ONNX's {@code Swish(x)}, standard
 * from opset 24 and defined as exactly {@code x * sigmoid(alpha * x)} with {@code alpha = 1}. Below
 * opset 24 standard ONNX has no such op and the pair stays. Above it too, as a named exception:
 * ONNX Runtime 1.28 registers its Swish kernel for opset 24 only (measured: a Swish model at opset
 * 25 or 26 fails to load with ORT_NOT_IMPLEMENTED), and a result ONNX Runtime refuses is worse
 * than an unfused pair. The Sigmoid must feed only the Mul, which becomes the Swish. On the {@code
 * cvy} target a SiLU whose input {@code fuse-gated-activation} fuses into its producer is left to
 * it (one fused node instead of two).
 */
public final class FuseSwish implements MatchingRule<FuseSwish.Found> {
  public static final String NAME = "fuse-swish";

  /** The last opset at which ONNX Runtime 1.28 has a Swish kernel. */
  private static final long LAST_ORT_OPSET = 24;

  /** The input and the Sigmoid that goes. */
  public record Found(Value x, Node sigmoid) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Mul");
  }

  /** Whether a standard Swish op may be written at default-domain opset {@code opset}. */
  static boolean standardAt(long opset) {
    return opset >= 24 && opset <= LAST_ORT_OPSET;
  }

  @Override
  public Match<Found> match(Node mul, Rewriter rw) {
    long opset = mul.graph().opsetVersion("");
    if (opset < 24) {
      return Match.fail("Swish needs opset 24");
    }
    if (opset > LAST_ORT_OPSET) {
      return Match.fail("ONNX Runtime runs Swish at opset 24 only, not " + opset);
    }
    boolean cvy = rw.options().target().convoyOps();
    return SelfGate.match(mul, "Sigmoid", (sig, x) -> {
      if (sig.input(0) != x) {
        return Match.fail("Sigmoid does not read the other operand of " + mul.name());
      }
      Node p = cvy ? FuseGatedActivation.producerToFuse(mul, x) : null;
      return p == null ? Match.of(new Found(x, sig))
          : Match.fail("fuse-gated-activation fuses the SiLU into " + p.name());
    });
  }

  @Override
  public void apply(Node mul, Found m, Rewriter rw) {
    rw.setOpType(mul, "Swish");
    rw.setInputs(mul, new ArrayList<>(List.of(m.x())));
    rw.erase(m.sigmoid());
  }
}
