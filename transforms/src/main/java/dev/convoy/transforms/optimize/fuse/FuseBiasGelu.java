package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Matchers;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Target;
import java.util.List;
import java.util.Map;

/**
 * {@code Gelu(Add(x, b))} (ONNX's exact Gelu or {@code com.microsoft::Gelu}; Add in either
 * operand order) with float32 {@code x} and a constant vector {@code b} as long as {@code x}'s
 * static last axis becomes ONNX Runtime's {@code com.microsoft::BiasGelu(x, b)}, only for
 * {@code --onnx-ops ort}. The sum must feed only the Gelu. (The {@code cvy} target folds the same
 * bias and Gelu into {@code convoy::FusedMatMul} instead.)
 */
public final class FuseBiasGelu implements MatchingRule<FuseBiasGelu.Found> {
  public static final String NAME = "fuse-bias-gelu";

  /** The Add and its input and bias operands. */
  public record Found(Node add, Value x, Value bias) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    // ONNX's Gelu (opset 20) or com.microsoft::Gelu: the domain is checked first.
    return Pattern.anyOp();
  }

  @Override
  public Match<Found> match(Node gelu, Rewriter rw) {
    if (!gelu.opType().equals("Gelu")
        || !(gelu.domain().isEmpty() || gelu.domain().equals(Target.MICROSOFT))) {
      return Match.fail(gelu + " is not a Gelu");
    }
    if (!rw.options().target().ortOps()) {
      return Match.fail("the target allows no ONNX Runtime ops");
    }
    if (!gelu.stringAttr("approximate", "none").equals("none")) {
      return Match.fail("BiasGelu is the exact Gelu");
    }
    Match<Node> add = Matchers.soleProducer(gelu.input(0), "Add");
    if (!add.ok()) {
      return add.cast();
    }
    if (add.value().graph() != gelu.graph()) {
      return Match.fail("the Add is in an enclosing graph");
    }
    for (int side = 0; side < 2; side++) {
      Value x = add.value().input(side);
      Value b = add.value().input(1 - side);
      Tensor t = b.constant();
      if (t != null && x.constant() == null && t.rank() == 1 && t.dtype() == DType.FLOAT
          && Facts.dtype(x) == DType.FLOAT && Facts.lastDim(x) == t.dims()[0]
          && Facts.rank(x) >= 1) {
        return Match.of(new Found(add.value(), x, b));
      }
    }
    return Match.fail("the Add has no float32 constant vector over its input's last axis");
  }

  @Override
  public void apply(Node gelu, Found f, Rewriter rw) {
    rw.fuse(gelu, List.of(gelu, f.add()), Target.MICROSOFT, 1, "BiasGelu",
        List.of(f.x(), f.bias()), Map.of(), f.add().name(), List.of(gelu.output(0)));
  }
}
