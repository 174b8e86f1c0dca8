package dev.convoy.transforms.optimize.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.ir.graph.Graph;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.RuleCases;
import dev.convoy.transforms.optimize.Target;
import org.junit.jupiter.api.Test;

/**
 * {@code fuse-attention}: where it must not fire, with its reasons, and numeric checks of the
 * fused {@code convoy::Attention} (Convoy's evaluator on the fused graph, and ONNX Runtime on its
 * ONNX expansion, against the original) on the layouts and broadcasts exporters write.
 */
class FuseAttentionTest {
  private static final OptimizeOptions CVY = OptimizeOptions.atLevel(Level.O2)
      .withTarget(Target.CVY);

  /** BERT's block: 4-D heads, the scale dividing the scores, a [batch,1,1,seq] additive mask. */
  private static final String BERT = """
      graph g (%%q: float32[2,3,5,4], %%k: float32[2,3,4,6], %%v: float32[2,3,6,4],
               %%m: float32[%s]) -> (%%y: float32[2,3,5,4]) {
        opset "" 11
        init %%c: float32[] = [2.0]
        %%s: float32[2,3,5,6] = MatMul(%%q, %%k) @qk
        %%d: float32[2,3,5,6] = Div(%%s, %%c) @scale
        %%a: float32[2,3,5,6] = Add(%%d, %%m) @mask
        %%p: float32[2,3,5,6] = Softmax(%%a) {axis=3} @softmax
        %%y = MatMul(%%p, %%v) @root
      }
      """;

  private static RuleCases bert(String maskShape) {
    return RuleCases.of(new FuseAttention(), String.format(BERT, maskShape), "root").with(CVY);
  }

  @Test
  void fusesBertAttentionWithBroadcastMask() {
    Graph g = bert("2,1,1,6").firesAndKeepsOutputs();
    assertEquals(1, g.totalNodeCount(), "one convoy::Attention left");
  }

  @Test
  void fusesMasksOfEveryBroadcast() {
    bert("6").firesAndKeepsOutputs();
    bert("5,6").firesAndKeepsOutputs();
    bert("1,3,5,1").firesAndKeepsOutputs();
    bert("2,3,5,6").firesAndKeepsOutputs();
  }

  @Test
  void fusesWhereQueriesAndKeysBroadcastOverHeads() {
    RuleCases.of(new FuseAttention(), """
        graph g (%q: float32[1,5,4], %k: float32[3,4,6], %v: float32[6,4]) -> (%y: float32[3,5,4]) {
          opset "" 13
          init %c: float32[] = [0.25]
          %qs: float32[1,5,4] = Mul(%q, %c) @scale
          %s: float32[3,5,6] = MatMul(%qs, %k) @qk
          %p: float32[3,5,6] = Softmax(%s) @softmax
          %y = MatMul(%p, %v) @root
        }
        """, "root").with(CVY).firesAndKeepsOutputs();
  }

  @Test
  void notWhereAnIntermediateIsReadElsewhere() {
    RuleCases cases = bert("2,1,1,6");
    cases.notWhereGraphOutput("p");
    cases.notWhereGraphOutput("a");
    cases.notWhereAnotherConsumer("p");
    cases.notWhereAnotherConsumer("d");
    cases.notWhereAnotherConsumer("s");
  }

  @Test
  void notWithAZeroScale() {
    bert("2,1,1,6").notWithConstant("c", 0f, "is not a finite nonzero float");
  }

  @Test
  void notForTheStandardTarget() {
    RuleCases.of(new FuseAttention(), String.format(BERT, "2,1,1,6"), "root")
        .notFiring("the target allows no convoy ops");
  }

  @Test
  void notWhereTheSoftmaxCoercesMoreThanTheLastAxis() {
    // Below opset 13 Softmax's default axis 1 flattens every axis from 1: not attention's softmax.
    RuleCases.of(new FuseAttention(), String.format(BERT, "2,1,1,6").replace(" {axis=3}", ""),
        "root").with(CVY).notFiring("the Softmax is not over the last axis");
  }

  @Test
  void notOnIntegerOrHalfInputs() {
    RuleCases.of(new FuseAttention(), String.format(BERT, "2,1,1,6").replace("float32", "float16"),
        "root").with(CVY)
        .notFiring("is not float32");
  }
}
