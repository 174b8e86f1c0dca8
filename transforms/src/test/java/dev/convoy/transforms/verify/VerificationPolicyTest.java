package dev.convoy.transforms.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.Optimizer;
import dev.convoy.transforms.optimize.PassBisect;
import dev.convoy.transforms.testing.NanOneRelu;
import dev.convoy.transforms.verify.OrtVerifier.Tolerance;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The verification policy: non-finite values never pass against anything else, similarity is no
 * excuse, a mismatch is localized to the first diverging node, and only one quantization step on
 * agreeing float inputs is drift.
 */
class VerificationPolicyTest {
  private static final long[] PAIR = {2};

  @Test
  void infinityPassesOnlyAgainstTheSameInfinity() {
    Tensor inf = Tensor.ofFloats(PAIR, Float.POSITIVE_INFINITY, 1f);
    assertTrue(compare(inf, Tensor.ofFloats(PAIR, Float.POSITIVE_INFINITY, 1f)).pass());
    assertFalse(compare(inf, Tensor.ofFloats(PAIR, Float.MAX_VALUE, 1f)).pass());
    assertFalse(compare(inf, Tensor.ofFloats(PAIR, Float.NEGATIVE_INFINITY, 1f)).pass());
    assertFalse(compare(Tensor.ofFloats(PAIR, 3f, 1f), Tensor.ofFloats(PAIR, Float.POSITIVE_INFINITY, 1f)).pass());
    assertFalse(compare(Tensor.ofFloats(PAIR, 0f, 1f), Tensor.ofFloats(PAIR, Float.NaN, 1f)).pass());
  }

  @Test
  void anOutputScaledByTwoFailsThoughItsCosineIsOne() {
    var c = compare(Tensor.ofFloats(PAIR, 1f, 2f), Tensor.ofFloats(PAIR, 2f, 4f));
    assertEquals(1.0, c.cosine(), 1e-12);
    Judgement j = Judgement.of(OrtVerifier.Verification.of(java.util.List.of(c)),
        () -> new NodeByNode.Localization(null, "not localized"), () -> null);
    assertEquals(Verdict.FAIL, j.verdict());
  }

  @Test
  void aNanProducingRewriteFailsAtTheNodeThatMadeTheNan() {
    Graph original = GraphParser.parse("""
        graph g (%x: float32[4,64]) -> (%y: float32[4,64]) {
          opset "" 13
          %a: float32[4,64] = Neg(%x) @neg
          %r: float32[4,64] = Relu(%a) @relu
          %y = Add(%r, %a) @add
        }
        """);
    OptimizeOptions options = new OptimizeOptions(Level.O1, Set.of(NanOneRelu.NAME), Set.of(),
        null, Map.of(), false, OptimizeOptions.DEFAULT_FOLD_CAP);
    Graph candidate = Optimizer.optimize(original, options).graph();
    Judgement j = judge(original, candidate, () -> PassBisect.culprit(original, options, Map.of()));

    assertEquals(Verdict.FAIL, j.verdict(), j.summary());
    assertTrue(j.outputs().minCosine() > 0.9999, "finite values agree: " + j.summary());
    NodeByNode.Divergence d = j.divergence();
    assertNotNull(d, j.summary());
    assertEquals("Div", d.op(), j.summary());
    assertEquals("r", d.standsFor(), j.summary());
    assertTrue(j.culprit().contains("rule '" + NanOneRelu.NAME + "'"), j.culprit());
  }

  @Test
  void oneQuantizationStepAfterAgreeingFloatsIsDriftNamingTheNodeAndStep() {
    Judgement j = judge(quantized(""), quantized("1e-5"), () -> null);
    assertEquals(Verdict.DRIFT, j.verdict(), j.summary());
    assertTrue(j.accepted());
    NodeByNode.Divergence d = j.divergence();
    assertEquals("DynamicQuantizeLinear", d.op(), j.summary());
    assertEquals("quant", d.node());
    // Seeded inputs lie in [-1, 1]: the step is their range over 255.
    assertEquals(2.0 / 255, d.quantStep(), 1e-4, j.summary());
    assertTrue(j.summary().startsWith("drift"), j.summary());
  }

  @Test
  void aQuantizeAfterDivergingFloatsIsAFailureAtTheFloatNode() {
    Judgement j = judge(quantized(""), quantized("0.01"), () -> null);
    assertEquals(Verdict.FAIL, j.verdict(), j.summary());
    assertEquals("Add", j.divergence().op(), j.summary());
    assertFalse(j.divergence().isQuantDrift());
  }

  /** x -> DynamicQuantizeLinear -> DequantizeLinear, with {@code x + nudge} fed to it when given. */
  private static Graph quantized(String nudge) {
    String feed = nudge.isEmpty() ? "%x" : "%n";
    String add = nudge.isEmpty() ? ""
        : "  init %c: float32[] = [" + nudge + "]\n"
            + "  %n: float32[64,256] = Add(%x, %c) @nudge\n";
    return GraphParser.parse("graph g (%x: float32[64,256]) -> (%y: float32[64,256]) {\n"
        + "  opset \"\" 13\n" + add
        + "  %q: uint8[64,256], %s: float32[], %z: uint8[] = DynamicQuantizeLinear(" + feed
        + ") @quant\n"
        + "  %y = DequantizeLinear(%q, %s, %z) @dequant\n}\n");
  }

  private static Judgement judge(Graph original, Graph candidate,
      java.util.function.Supplier<String> bisect) {
    Map<String, Tensor> inputs = SeededInputs.generate(original, Map.of());
    Evaluator e = Evaluator.standard();
    var outputs = OrtVerifier.compareOutputs(
        e.runTensors(original, inputs), e.runTensors(candidate, inputs), Tolerance.DEFAULT);
    return Judgement.of(outputs,
        () -> NodeByNode.locate(original, candidate, inputs, Tolerance.DEFAULT), bisect);
  }

  private static OrtVerifier.OutputComparison compare(Tensor a, Tensor b) {
    return OrtVerifier.compareTensors("y", a, b, Tolerance.DEFAULT);
  }
}
