package dev.convoy.transforms.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.testing.TestData;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.transforms.convert.ModelFormat;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.Optimizer;
import dev.convoy.transforms.optimize.PassBisect;
import dev.convoy.transforms.optimize.Target;
import dev.convoy.transforms.testing.NudgeOneConstant;
import dev.convoy.transforms.testing.OrtFixture;
import dev.convoy.transforms.verify.OrtVerifier.Tolerance;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runtime drift is told apart from optimizer error. A graph on which Convoy's evaluator and ONNX
 * Runtime disagree by construction (a float32 sum of 4096 values offset by 1e4, all but 1e4 of
 * the offset then subtracted: each runtime's summation order leaves its own rounding error of
 * order 10-100 in a result of order 1e4, beyond rtol 1e-4 yet within {@link
 * RuntimeDrift#MAX_SHARE}): its unchanged result comes out {@code runtime-drift} in either
 * direction of the oracle, while a result that also changes a constant, in the drifting output or
 * in another one, still fails, and so does a runtime difference beyond the share (a kernel that
 * is wrong on the original and the result alike). On a real model where the runtimes drift (yolox_nano), a rule that
 * nudges one constant by 1e-2 fails and is named.
 */
class RuntimeDriftTest {
  @RegisterExtension static final OrtFixture ORT = new OrtFixture();

  @TempDir Path tmp;

  /** {@code y}: the cancelling sum, scaled by {@code S}; {@code z = x * W}, which agrees. */
  private static Graph cancelling(String scale, String weight) {
    return GraphParser.parse("""
        graph g (%x: float32[4,4096]) -> (%y: float32[4,1], %z: float32[4,4096]) {
          opset "" 13
          init %big: float32[] = [10000.0]
          init %axes: int64[1] = [1]
          init %total: float32[] = [40950000.0]
          init %S: float32[] = [SCALE]
          init %W: float32[] = [WEIGHT]
          %o: float32[4,4096] = Add(%x, %big)
          %s: float32[4,1] = ReduceSum(%o, %axes) {keepdims=1}
          %d: float32[4,1] = Sub(%s, %total)
          %y = Mul(%d, %S)
          %z = Mul(%x, %W)
        }
        """.replace("SCALE", scale).replace("WEIGHT", weight));
  }

  private Judgement judge(Oracle oracle, Graph candidate) throws Exception {
    Graph original = cancelling("1.0", "0.5");
    Path file = tmp.resolve("cancelling.onnx");
    OnnxExporter.write(original, file);
    Map<String, Tensor> inputs = SeededInputs.generate(original, Map.of());
    return ModelVerification.judge(oracle, file, original, candidate, inputs, ORT.verifier(),
        Evaluator.standard(), () -> null);
  }

  @Test
  void theRuntimesDisagreeOnTheSyntheticOriginal() throws Exception {
    Graph original = cancelling("1.0", "0.5");
    Map<String, Tensor> inputs = SeededInputs.generate(original, Map.of());
    var v = OrtVerifier.compareOutputs(ORT.verifier().run(OnnxExporter.toBytes(original), inputs),
        Evaluator.standard().runTensors(original, inputs), Tolerance.DEFAULT);
    assertTrue(!v.pass() && v.maxAbsError() > 1, "the construction must make them differ: "
        + v.firstFailure());
  }

  @Test
  void anUnchangedResultInTheOtherRuntimeIsRuntimeDriftNotFailure() throws Exception {
    Judgement j = judge(Oracle.choose(ModelFormat.ONNX, ModelFormat.CVY), cancelling("1.0", "0.5"));
    assertEquals(Verdict.RUNTIME_DRIFT, j.verdict(), j.summary());
    assertTrue(j.accepted());
    RuntimeDrift d = j.drift();
    assertNotNull(d);
    assertTrue(d.runtimeError() > 1, j.summary());
    assertEquals(0, d.ownError(), j.summary());
    assertEquals(0, d.added(), j.summary());
    assertTrue(j.summary().startsWith("runtime-drift (") && j.summary().contains(
        "runtime drift: Convoy's evaluator and ONNX Runtime differ by "), j.summary());
    assertNull(j.divergence(), "drift is not localized to a node");
  }

  @Test
  void driftIsRecognizedWithTheEvaluatorAsReferenceAndOrtAsCandidate() throws Exception {
    Oracle reversed = new Oracle(Oracle.Runtime.EVALUATOR, Oracle.Runtime.ORT);
    Judgement j = judge(reversed, cancelling("1.0", "0.5"));
    assertEquals(Verdict.RUNTIME_DRIFT, j.verdict(), j.summary());
    assertTrue(j.where().startsWith(
        "runtime drift: ONNX Runtime and Convoy's evaluator differ by "), j.where());
  }

  @Test
  void aChangedConstantInTheDriftingOutputStillFails() throws Exception {
    Judgement j = judge(Oracle.choose(ModelFormat.ONNX, ModelFormat.CVY),
        cancelling("1.01", "0.5"));
    assertEquals(Verdict.FAIL, j.verdict(), j.summary());
    assertNull(j.drift());
    assertEquals("Mul", j.divergence().op(), j.summary());
  }

  @Test
  void aChangedConstantInAnotherOutputFailsThoughTheDriftingOneIsExcused() throws Exception {
    Judgement j = judge(Oracle.choose(ModelFormat.ONNX, ModelFormat.CVY),
        cancelling("1.0", "0.51"));
    assertEquals(Verdict.FAIL, j.verdict(), j.summary());
    assertTrue(j.where().contains("output z"), j.summary());
  }

  @Test
  void sameRuntimeOnBothSidesIsNeverDrift() throws Exception {
    Judgement j = judge(Oracle.choose(ModelFormat.ONNX, ModelFormat.ONNX),
        cancelling("1.01", "0.5"));
    assertEquals(Verdict.FAIL, j.verdict(), j.summary());
  }

  @Test
  void anErrorWithinToleranceOfADriftedBaseButNotOfTheReferenceIsNotExcused() {
    Oracle cvy = Oracle.choose(ModelFormat.ONNX, ModelFormat.CVY);
    long[] one = {2};
    // The runtimes differ by 100 at an element whose reference is 0, within 5% of 3000.
    Map<String, Tensor> ref = Map.of("y", Tensor.ofFloats(one, 3000f, 0f));
    Map<String, Tensor> base = Map.of("y", Tensor.ofFloats(one, 3000f, 100f));
    // Within rtol of the base (100 * 1e-4 = 0.01), yet 0.01 further from the reference.
    Map<String, Tensor> res = Map.of("y", Tensor.ofFloats(one, 3000f, 100.0099f));
    var outputs = OrtVerifier.compareOutputs(ref, res, Tolerance.DEFAULT);
    assertNull(RuntimeDrift.explain(cvy, outputs, ref, base, res, Tolerance.DEFAULT));
    Map<String, Tensor> closer = Map.of("y", Tensor.ofFloats(one, 3000f, 99.99f));
    RuntimeDrift d = RuntimeDrift.explain(cvy,
        OrtVerifier.compareOutputs(ref, closer, Tolerance.DEFAULT), ref, base, closer,
        Tolerance.DEFAULT);
    assertNotNull(d);
    assertEquals(100, d.runtimeError(), 1e-3);
    assertEquals(0, d.added());
  }

  @Test
  void aRuntimeDifferenceBeyondItsShareOfTheOutputIsNotDrift() {
    // An evaluator kernel wrong by 6% of the output's largest magnitude on the original and the
    // result alike: the optimization changed nothing, yet the .cvy computes the wrong thing.
    Oracle cvy = Oracle.choose(ModelFormat.ONNX, ModelFormat.CVY);
    long[] two = {2};
    Map<String, Tensor> ref = Map.of("y", Tensor.ofFloats(two, 10f, 0f));
    Map<String, Tensor> wrong = Map.of("y", Tensor.ofFloats(two, 10f, 0.6f));
    assertNull(RuntimeDrift.explain(cvy, OrtVerifier.compareOutputs(ref, wrong, Tolerance.DEFAULT),
        ref, wrong, wrong, Tolerance.DEFAULT));
    Map<String, Tensor> drifted = Map.of("y", Tensor.ofFloats(two, 10f, 0.4f));
    RuntimeDrift d = RuntimeDrift.explain(cvy,
        OrtVerifier.compareOutputs(ref, drifted, Tolerance.DEFAULT), ref, drifted, drifted,
        Tolerance.DEFAULT);
    assertNotNull(d, "4% of the largest magnitude is within the share");
    assertEquals(0.4, d.runtimeError(), 1e-6);
  }

  @Test
  void aNanOnEitherSideIsNeverDrift() {
    Oracle cvy = Oracle.choose(ModelFormat.ONNX, ModelFormat.CVY);
    long[] two = {2};
    Map<String, Tensor> ref = Map.of("y", Tensor.ofFloats(two, 1f, 2f));
    Map<String, Tensor> base = Map.of("y", Tensor.ofFloats(two, Float.NaN, 2f));
    Map<String, Tensor> res = Map.of("y", Tensor.ofFloats(two, Float.NaN, 2f));
    assertNull(RuntimeDrift.explain(cvy, OrtVerifier.compareOutputs(ref, res, Tolerance.DEFAULT),
        ref, base, res, Tolerance.DEFAULT));
  }

  @Test
  void aNudgedConstantFailsOnARealModelWhereTheRuntimesDrift() {
    Path model = TestData.devModels().resolve("yolox_nano.onnx");
    Graph original = OnnxImporter.importFile(model);
    OptimizeOptions options = OptimizeOptions.atLevel(Level.O2).withTarget(Target.CVY);
    OptimizeOptions broken = new OptimizeOptions(Level.O2, Set.of(NudgeOneConstant.NAME),
        Set.of(), null, Map.of(), false, OptimizeOptions.DEFAULT_FOLD_CAP).withTarget(Target.CVY);

    Judgement exact = ModelVerification.verify(model, original,
        Optimizer.optimize(original, options).graph(), ModelFormat.CVY, Map.of(), () -> null);
    assertEquals(Verdict.RUNTIME_DRIFT, exact.verdict(), exact.summary());

    Graph nudged = Optimizer.optimize(original, broken).graph();
    assertNotNull(nudged.metadata().get(NudgeOneConstant.MARK), "the rule fired");
    Judgement j = ModelVerification.verify(model, original, nudged, ModelFormat.CVY, Map.of(),
        () -> PassBisect.culprit(original, broken, Map.of()));
    assertEquals(Verdict.FAIL, j.verdict(), j.summary());
    assertTrue(j.culprit().contains("rule '" + NudgeOneConstant.NAME + "'"), j.summary());
  }
}
