package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Matchers;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Target;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A self-gated activation, {@code Mul(x, g(x))} in either operand order with float32 {@code x} and
 * the gate read only by the Mul: SiLU (Swish) with {@code g = Sigmoid}, hard-swish with {@code g =
 * HardSigmoid(alpha = 1/6, beta = 1/2)}. For the {@code cvy} target, where {@code x} is the output
 * of a Conv, Gemm or unactivated {@code convoy::FusedMatMul} read only by these two nodes, either
 * becomes that producer's fused form with the {@code Swish} or {@code HardSwish} activation (below
 * opset 14 too, where no HardSwish op exists). For {@code --onnx-ops ort} SiLU becomes ONNX
 * Runtime's {@code com.microsoft::QuickGelu(x)} with {@code alpha = 1}, except where standard ONNX
 * has Swish ({@link FuseSwish#standardAt}): a standard op beats a contrib one. Elsewhere it stays.
 *
 * <p>Precedence with {@code fuse-swish}, which also matches a SiLU: on the {@code cvy} target a
 * SiLU this rule fuses into its producer is this rule's ({@code fuse-swish} declines it, through
 * {@link #producerToFuse}); everywhere else a SiLU at an opset with standard Swish is {@code
 * fuse-swish}'s. So the result does not depend on the order of the two in a rule set.
 */
public final class FuseGatedActivation implements MatchingRule<FuseGatedActivation.Found> {
  public static final String NAME = "fuse-gated-activation";

  private static final Set<String> GATES = Set.of("Sigmoid", "HardSigmoid");

  /** The gate, the Mul's operand {@code x}, the activation and (cvy) the producer to fuse into. */
  public record Found(Node gate, Value x, String activation, Node producer) {}

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
    Target target = rw.options().target();
    if (!target.allowsFusedOps()) {
      return Match.fail("the target allows no fused ops");
    }
    return SelfGate.match(mul, GATES, (gate, x) -> check(mul, gate, x, target));
  }

  private static Match<Found> check(Node mul, Node gate, Value x, Target target) {
    if (gate.input(0) != x) {
      return Match.fail(gate.name() + " does not read the other operand of " + mul.name());
    }
    String act = gate.is("Sigmoid") ? "Swish" : FuseHardSwish.isGate(gate) ? "HardSwish" : null;
    if (act == null) {
      return Match.fail(gate.name() + " is not hard-swish's HardSigmoid (alpha 1/6, beta 1/2)");
    }
    if (act.equals("HardSwish") && !target.convoyOps()) {
      return Match.fail("ONNX Runtime has no fused hard-swish");
    }
    if (Facts.dtype(x) != DType.FLOAT) {
      return Match.fail(x.name() + " is not float32");
    }
    if (target.convoyOps()) {
      Node p = producerToFuse(mul, x);
      return p != null ? Match.of(new Found(gate, x, act, p))
          : Match.fail(x.name() + " is not produced by Conv, Gemm or an unactivated"
              + " FusedMatMul, read only by the gate and the Mul");
    }
    long opset = mul.graph().opsetVersion("");
    if (FuseSwish.standardAt(opset)) {
      return Match.fail("Swish is standard at opset " + opset + " (fuse-swish writes it)");
    }
    return Match.of(new Found(gate, x, act, null));
  }

  /**
   * The producer of float32 {@code x} that a gated activation on {@code x} in {@code mul} fuses
   * into on the {@code cvy} target: a Conv, Gemm or unactivated {@code convoy::FusedMatMul} in the
   * Mul's graph whose output only the gate and the Mul read; else null.
   */
  static Node producerToFuse(Node mul, Value x) {
    Node p = x.producer();
    if (p == null || p.graph() != mul.graph() || Facts.dtype(x) != DType.FLOAT) {
      return null;
    }
    boolean fusable = p.domain().isEmpty() && (p.is("Conv") || p.is("Gemm"))
        || p.domain().equals(OpCatalog.CONVOY_DOMAIN) && p.opType().equals("FusedMatMul")
        && p.stringAttr("activation", "").isEmpty() || FuseActivation.unactivatedConv(p);
    return fusable && Matchers.notSoleUse(x, 2) == null ? p : null;
  }

  @Override
  public void apply(Node mul, Found f, Rewriter rw) {
    Node p = f.producer();
    if (p == null) {
      rw.fuse(mul, List.of(mul, f.gate()), Target.MICROSOFT, 1, "QuickGelu", List.of(f.x()),
          Map.of("alpha", new Attribute.FloatAttr(1f)), f.gate().name(),
          List.of(mul.output(0)));
      return;
    }
    Map<String, Attribute> attrs = new LinkedHashMap<>(p.attributes());
    attrs.put("activation", Attribute.StringAttr.of(f.activation()));
    String op = p.domain().isEmpty() ? "Fused" + p.opType() : p.opType();
    rw.fuse(mul, List.of(mul, f.gate(), p), OpCatalog.CONVOY_DOMAIN, 1, op, p.inputs(), attrs,
        p.name(), List.of(mul.output(0)));
  }
}
