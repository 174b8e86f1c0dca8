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

/**
 * A self-gated activation, {@code Mul(x, g(x))} in either operand order with float32 {@code x} and
 * the gate read only by the Mul: SiLU (Swish) with {@code g = Sigmoid}, hard-swish with {@code g =
 * HardSigmoid(alpha = 1/6, beta = 1/2)}. For {@code --onnx-ops ort} SiLU becomes ONNX Runtime's
 * {@code com.microsoft::QuickGelu(x)} with {@code alpha = 1}. For the {@code cvy} target, where
 * {@code x} is the output of a Conv, Gemm or unactivated {@code convoy::FusedMatMul} read only by
 * these two nodes, either becomes that producer's fused form with the {@code Swish} or {@code
 * HardSwish} activation (below opset 14 too, where no HardSwish op exists); elsewhere it stays.
 */
public final class FuseGatedActivation implements MatchingRule<FuseGatedActivation.Found> {
  public static final String NAME = "fuse-gated-activation";

  /** The gate, the Mul's operand {@code x}, the activation and (cvy) the producer to fuse into. */
  public record Found(Node sigmoid, Value x, String activation, Node producer) {}

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
    for (int side = 0; side < 2; side++) {
      Value x = mul.input(side);
      Node sig = mul.input(1 - side) == null ? null : mul.input(1 - side).producer();
      String act = sig == null || sig.input(0) != x ? null
          : sig.is("Sigmoid") ? "Swish" : FuseHardSwish.isGate(sig) ? "HardSwish" : null;
      if (act == null) {
        continue;
      }
      if (act.equals("HardSwish") && !target.convoyOps()) {
        return Match.fail("ONNX Runtime has no fused hard-swish");
      }
      String notSole = Matchers.notSoleUse(sig.output(0), 1);
      if (notSole != null) {
        return Match.fail(notSole);
      }
      if (Facts.dtype(x) != DType.FLOAT) {
        return Match.fail(x.name() + " is not float32");
      }
      if (!target.convoyOps()) {
        return Match.of(new Found(sig, x, act, null));
      }
      Node p = x.producer();
      boolean fusable = p != null && p.graph() == mul.graph() && p.domain().isEmpty()
          && (p.opType().equals("Conv") || p.opType().equals("Gemm"))
          || p != null && p.graph() == mul.graph() && p.domain().equals(OpCatalog.CONVOY_DOMAIN)
          && p.opType().equals("FusedMatMul") && p.stringAttr("activation", "").isEmpty();
      if (!fusable) {
        return Match.fail(x.name() + " is not produced by Conv, Gemm or an unactivated"
            + " FusedMatMul");
      }
      String notPair = Matchers.notSoleUse(x, 2);
      if (notPair != null) {
        return Match.fail(notPair);
      }
      return Match.of(new Found(sig, x, act, p));
    }
    return Match.fail("neither operand is the Sigmoid or hard-swish gate of the other");
  }

  @Override
  public void apply(Node mul, Found f, Rewriter rw) {
    Node p = f.producer();
    if (p == null) {
      rw.fuse(mul, List.of(mul, f.sigmoid()), Target.MICROSOFT, 1, "QuickGelu", List.of(f.x()),
          Map.of("alpha", new Attribute.FloatAttr(1f)), f.sigmoid().name(),
          List.of(mul.output(0)));
      return;
    }
    Map<String, Attribute> attrs = new LinkedHashMap<>(p.attributes());
    attrs.put("activation", Attribute.StringAttr.of(f.activation()));
    String op = p.domain().isEmpty() ? "Fused" + p.opType() : p.opType();
    rw.fuse(mul, List.of(mul, f.sigmoid(), p), OpCatalog.CONVOY_DOMAIN, 1, op, p.inputs(), attrs,
        p.name(), List.of(mul.output(0)));
  }
}
