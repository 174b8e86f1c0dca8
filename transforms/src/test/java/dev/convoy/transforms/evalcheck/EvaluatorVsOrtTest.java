package dev.convoy.transforms.evalcheck;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.testing.TestData;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import dev.convoy.transforms.verify.ModelVerification;
import dev.convoy.transforms.verify.OrtVerifier;
import dev.convoy.transforms.testing.EndToEndAgreement;
import dev.convoy.transforms.testing.OracleSkips;
import dev.convoy.transforms.verify.SeededInputs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ONNX Runtime as the oracle for the evaluator on every real dev model: the same seeded inputs
 * (shapes from the model's {@code .oracle.args}) go to ORT (optimizations off) and to {@link
 * Evaluator#runTensors}; every output must agree as {@link EndToEndAgreement} says (rtol 1e-4 /
 * atol 1e-5, integers exactly; the drift of a few named deep or dynamically quantized nets within
 * its measured bound, reported as such). Unlike {@code DevModelReferenceTest} (recorded outputs on recorded inputs), this runs
 * ORT live, so any model file dropped into the dev folder is checked. A model needing an op the
 * catalog lacks fails unless {@link OracleSkips} expects it; the counts are printed at the end.
 */
class EvaluatorVsOrtTest {
  private static final AtomicInteger PASSED = new AtomicInteger();
  private static final AtomicInteger FAILED = new AtomicInteger();

  private static OrtVerifier ort;
  private static Evaluator evaluator;

  static List<Path> models() {
    return TestData.devModelFiles();
  }

  @BeforeAll
  static void start() {
    ort = new OrtVerifier();
    evaluator = Evaluator.standard();
  }

  @AfterAll
  static void report() {
    System.out.printf("EvaluatorVsOrtTest: %d models agree with ONNX Runtime, %d differ%n",
        PASSED.get(), FAILED.get());
    ort.close();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void evaluatorOutputsMatchOnnxRuntimeOnSeededInputs(Path model) {
    String name = model.getFileName().toString();
    Graph g = OnnxImporter.importFile(model);
    OracleSkips.requireSupported(evaluator, g, name);
    Map<String, Tensor> inputs =
        SeededInputs.generate(g, ModelVerification.shapes(model, Map.of()));
    long t0 = System.nanoTime();
    Map<String, Tensor> want = ort.run(model, inputs);
    long t1 = System.nanoTime();
    Map<String, Tensor> got = evaluator.runTensors(g, inputs);
    long t2 = System.nanoTime();
    List<String> problems = new ArrayList<>();
    List<String> drifts = new ArrayList<>();
    for (Map.Entry<String, Tensor> e : want.entrySet()) {
      Tensor actual = got.get(e.getKey());
      assertTrue(actual != null, name + ": output " + e.getKey() + " missing");
      EndToEndAgreement.Verdict v = EndToEndAgreement.judge(
          name.replaceFirst("\\.onnx$", ""), e.getKey(), e.getValue(), actual);
      if (!v.accepted()) {
        problems.add(v.describe());
      } else if (v.drifted()) {
        drifts.add(v.describe());
      }
    }
    System.out.printf("%s: ort %.1f ms, convoy %.1f ms, %s%n", name, (t1 - t0) / 1e6,
        (t2 - t1) / 1e6, problems.isEmpty() && drifts.isEmpty() ? "agrees"
            : problems.isEmpty() ? "drifts within its named bound: " + drifts : problems);
    (problems.isEmpty() ? PASSED : FAILED).incrementAndGet();
    assertTrue(problems.isEmpty(), name + " differs from ONNX Runtime: " + problems);
  }
}
