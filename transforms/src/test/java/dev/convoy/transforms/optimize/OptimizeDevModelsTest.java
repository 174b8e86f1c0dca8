package dev.convoy.transforms.optimize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.testing.TestData;
import dev.convoy.transforms.testing.OrtFixture;
import dev.convoy.ir.verify.GraphVerifier;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import dev.convoy.transforms.verify.OracleArgs;
import dev.convoy.transforms.verify.SeededInputs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every dev model optimized at O1 (and O2) computes what the original computes: ONNX Runtime runs the
 * original file and the exported result on the same seeded inputs (shapes from the model's oracle
 * args) and every output agrees within rtol 1e-4 / atol 1e-5. The pipeline must settle and never
 * add nodes.
 */
class OptimizeDevModelsTest {
  @RegisterExtension static final OrtFixture ORT = new OrtFixture();

  @TestFactory
  Stream<DynamicTest> o1KeepsOrtOutputsOnEveryDevModel() {
    return TestData.devModelFiles().stream()
        .map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> check(p)));
  }

  @TestFactory
  Stream<DynamicTest> o2KeepsOrtOutputsOnEveryDevModel() {
    return TestData.devModelFiles().stream()
        .map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> check(p, Level.O2)));
  }

  @Test
  void o2FusesTheErfGeluOnlyWhereTheTargetHasAGelu() {
    Path model = TestData.devModels().resolve("optest_gelu_erf_chain.onnx");
    Graph original = OnnxImporter.importFile(model);
    OptimizeOptions o2 = options(Level.O2, Map.of(), false);
    var standard = Optimizer.optimize(original, o2).graph().opHistogram();
    assertEquals(null, standard.get("com.microsoft::Gelu"), "opset 13 has no standard Gelu");
    var ort = Optimizer.optimize(original, o2.withTarget(Target.STANDARD.withOrtOps(true)))
        .graph().opHistogram();
    // ONNX Runtime's Gelu, then fused with the bias Add before it into its BiasGelu.
    assertEquals(Integer.valueOf(1), ort.get("com.microsoft::BiasGelu"));
    assertEquals(null, ort.get("Erf"));
    var opset20 = Optimizer.optimize(original, o2.withTarget(Target.STANDARD.withOpset(20)))
        .graph().opHistogram();
    assertEquals(Integer.valueOf(1), opset20.get("Gelu"));
    assertEquals(null, opset20.get("com.microsoft::Gelu"));
  }

  /**
   * The standard ONNX target never gets a vendor domain it did not ask for: every node of every
   * O2 result (no input shapes) is of a domain the original model already used.
   */
  @TestFactory
  Stream<DynamicTest> o2AddsNoVendorDomainOnTheStandardTarget() {
    return TestData.devModelFiles().stream()
        .map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> {
          Graph original = OnnxImporter.importFile(p);
          Set<String> before = domains(original);
          Graph result = Optimizer.optimize(original, options(Level.O2, Map.of(), false)).graph();
          Set<String> added = domains(result);
          added.removeAll(before);
          assertEquals(Set.of(), added, p + ": O2 added node domains");
          assertTrue(result.opsets().keySet().stream()
                  .allMatch(d -> original.opsets().containsKey(d)),
              p + ": O2 added opset imports " + result.opsets().keySet());
        }));
  }

  private static Set<String> domains(Graph g) {
    Set<String> out = new java.util.TreeSet<>();
    g.forEachNode(n -> out.add(n.domain()));
    return out;
  }

  /**
   * Verify-each-pass mode on a few models (the evaluator runs after every pass): no pass breaks
   * the graph or changes the outputs, and the numeric check really ran.
   */
  @TestFactory
  Stream<DynamicTest> verifyEachPassFindsNoFaultOnSelectedModels() {
    return Stream.of("redundant_mlp_nofold", "optest_conv_bn_relu", "loop_rnn", "silero_vad_v4")
        .map(name -> TestData.devModels().resolve(name + ".onnx"))
        .map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> {
          Graph original = OnnxImporter.importFile(p);
          OptimizeResult r = Optimizer.optimize(original, o1(OracleArgs.read(p).shapes(), true));
          assertTrue(r.notes().stream().noneMatch(n -> n.contains("numeric check off")),
              r.notes().toString());
          assertTrue(r.graph().totalNodeCount() < original.totalNodeCount());
        }));
  }

  static OptimizeOptions o1(Map<String, long[]> shapes, boolean verifyEachPass) {
    return options(Level.O1, shapes, verifyEachPass);
  }

  static OptimizeOptions options(Level level, Map<String, long[]> shapes, boolean verifyEachPass) {
    return new OptimizeOptions(
        level, Set.of(), Set.of(), null, shapes, verifyEachPass, OptimizeOptions.DEFAULT_FOLD_CAP);
  }

  private static void check(Path model) throws Exception {
    check(model, Level.O1);
  }

  private static void check(Path model, Level level) throws Exception {
    Graph original = OnnxImporter.importFile(model);
    Map<String, long[]> shapes = OracleArgs.read(model).shapes();
    OptimizeResult r = Optimizer.optimize(original, options(level, shapes, false));
    assertTrue(r.converged(), model + ": pipeline did not settle: " + r.notes());
    assertTrue(
        r.graph().totalNodeCount() <= original.totalNodeCount(),
        model + ": " + level + " added nodes: " + original.totalNodeCount() + " -> "
            + r.graph().totalNodeCount());
    assertEquals(List.of(), GraphVerifier.verify(r.graph()), model + ": invalid result");
    Map<String, Tensor> inputs = SeededInputs.generate(original, shapes);
    var v = ORT.verifier().compare(
        Files.readAllBytes(model), OnnxExporter.toBytes(r.graph()), inputs);
    assertTrue(v.pass(), model + ": outputs changed: " + v.firstFailure());
  }
}
