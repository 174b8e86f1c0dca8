package dev.convoy.transforms.optimize.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.RuleCases;
import dev.convoy.transforms.optimize.Target;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code fuse-gelu-tanh} below opset 20 with {@code --onnx-ops ort}: the spelled-out tanh GELU
 * becomes ONNX Runtime's {@code com.microsoft::FastGelu}, which ONNX Runtime runs to the same
 * outputs; never for the standard target, a graph output or another reader inside the chain, or
 * another cubic coefficient.
 */
class FuseFastGeluTest {
  private static final OptimizeOptions ORT = OptimizeOptions.atLevel(Level.O2)
      .withTarget(Target.STANDARD.withOrtOps(true));

  /** The spelled-out tanh GELU at opset 13, as the standard-target tests write it. */
  private static final String GELU_TANH =
      String.format(StandardFusionsMustNotFireTest.GELU_TANH, "", 13, "0.044715", "");

  private static RuleCases cases() {
    return RuleCases.of(new FuseGeluTanh(), GELU_TANH, "root").with(ORT);
  }

  @Test
  void becomesFastGeluForOnnxRuntimeBelowOpset20() {
    Graph g = cases().firesAndKeepsOutputs();
    List<String> ops = new ArrayList<>();
    for (Node n : g.nodes()) {
      ops.add(n.domain() + "::" + n.opType());
    }
    assertEquals(List.of("com.microsoft::FastGelu"), ops);
  }

  @Test
  void notForTheStandardTargetBelowOpset20() {
    RuleCases.of(new FuseGeluTanh(), GELU_TANH, "root")
        .notFiring("Gelu needs opset 20 (or --onnx-ops ort, for FastGelu)");
  }

  @Test
  void notWhereAnIntermediateIsReadElsewhere() {
    cases().notWhereGraphOutput("r");
    cases().notWhereAnotherConsumer("r");
  }

  @Test
  void notWithAnotherCubicCoefficient() {
    cases().notWithConstant("c", 0.04f, "the sum is not x + 0.044715 * x^3");
  }
}
