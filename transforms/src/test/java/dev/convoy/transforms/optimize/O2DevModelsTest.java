package dev.convoy.transforms.optimize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.onnxruntime.OrtSession;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.testing.TestData;
import dev.convoy.ir.verify.GraphVerifier;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import dev.convoy.transforms.optimize.opset.OpsetConverter;
import dev.convoy.transforms.testing.OrtFixture;
import dev.convoy.transforms.verify.OracleArgs;
import dev.convoy.transforms.verify.OrtVerifier;
import dev.convoy.transforms.verify.SeededInputs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * O2 as users run it on ONNX: no input shapes, the standard target, the model's opset (and the
 * newest opset ONNX Runtime loads). Every result computes what the original computes in ONNX
 * Runtime (rtol 1e-4, atol 1e-5, inputs at the oracle shapes), and never holds more Transposes
 * than the original. With {@code -Dconvoy.bench=true} it also writes the node counts beside ONNX
 * Runtime's BASIC and EXTENDED offline optimization measured in the same run
 * ({@code target/o2-node-counts.md}).
 */
class O2DevModelsTest {
  @RegisterExtension static final OrtFixture ORT = new OrtFixture();

  private static final OptimizeOptions O2 = OptimizeOptions.atLevel(Level.O2);

  @TestFactory
  Stream<DynamicTest> o2WithoutInputShapesKeepsOrtOutputs() {
    return TestData.devModelFiles().stream().map(p -> DynamicTest.dynamicTest(
        p.getFileName().toString(), () -> check(p, O2)));
  }

  @TestFactory
  Stream<DynamicTest> o2AtTheNewestOpsetKeepsOrtOutputs() {
    return TestData.devModelFiles().stream().map(p -> DynamicTest.dynamicTest(
        p.getFileName().toString(),
        () -> check(p, O2.withTarget(Target.STANDARD.withOpset(OpsetConverter.MAX_TARGET)))));
  }

  private static Graph check(Path model, OptimizeOptions options) throws Exception {
    Graph original = OnnxImporter.importFile(model);
    OptimizeResult r = Optimizer.optimize(original, options);
    assertTrue(r.converged(), model + ": pipeline did not settle: " + r.notes());
    assertEquals(List.of(), GraphVerifier.verify(r.graph()), model + ": invalid result");
    assertTrue(count(r.graph(), "Transpose") <= count(original, "Transpose"),
        model + ": more Transposes than before");
    Map<String, Tensor> inputs = SeededInputs.generate(original, OracleArgs.read(model).shapes());
    var v = ORT.verifier().compare(
        Files.readAllBytes(model), OnnxExporter.toBytes(r.graph()), inputs);
    assertTrue(v.pass(), model + ": outputs changed: " + v.firstFailure());
    return r.graph();
  }

  static int count(Graph g, String op) {
    int[] n = {0};
    g.forEachNode(x -> n[0] += x.is(op) && x.domain().isEmpty() ? 1 : 0);
    return n[0];
  }

  /** Nodes of every graph minus Constant nodes (ONNX Runtime saves those as initializers). */
  static int computeNodes(Graph g) {
    return g.totalNodeCount() - count(g, "Constant");
  }

  @Test
  void nodeCountsBesideOrtOfflineOptimization() throws Exception {
    assumeTrue(Boolean.getBoolean("convoy.bench"), "node-count table only with -Dconvoy.bench=true");
    List<String> rows = new ArrayList<>();
    rows.add("| model | compute nodes | convoy O1 | convoy O2 | convoy O2 @" + OpsetConverter.MAX_TARGET
        + " | ORT BASIC | ORT EXTENDED | O2 / BASIC |");
    rows.add("|---|---:|---:|---:|---:|---:|---:|---:|");
    List<Double> ratios = new ArrayList<>();
    Path tmp = Files.createTempDirectory("o2counts");
    for (Path model : TestData.devModelFiles()) {
      Graph g = OnnxImporter.importFile(model);
      int o1 = computeNodes(Optimizer.optimize(g, OptimizeOptions.atLevel(Level.O1)).graph());
      int o2 = computeNodes(Optimizer.optimize(g, O2).graph());
      int o2max = computeNodes(Optimizer.optimize(g,
          O2.withTarget(Target.STANDARD.withOpset(OpsetConverter.MAX_TARGET))).graph());
      int basic = ortNodes(model, OrtSession.SessionOptions.OptLevel.BASIC_OPT, tmp);
      int ext = ortNodes(model, OrtSession.SessionOptions.OptLevel.EXTENDED_OPT, tmp);
      ratios.add((double) o2 / basic);
      rows.add(String.format("| %s | %d | %d | %d | %d | %d | %d | %.2f |",
          model.getFileName().toString().replace(".onnx", ""), computeNodes(g), o1, o2, o2max,
          basic, ext, (double) o2 / basic));
    }
    ratios.sort(null);
    rows.add("");
    rows.add(String.format("Median O2 / ORT BASIC: %.3f; models with more nodes than ORT BASIC: %d.",
        ratios.get(ratios.size() / 2), ratios.stream().filter(r -> r > 1).count()));
    String table = String.join("\n", rows) + "\n";
    Files.writeString(Path.of("target/o2-node-counts.md"), table);
    System.out.println(table);
  }

  private static int ortNodes(Path model, OrtSession.SessionOptions.OptLevel level, Path tmp)
      throws Exception {
    Path out = tmp.resolve(model.getFileName() + "." + level + ".onnx");
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
      opts.setOptimizationLevel(level);
      opts.setOptimizedModelFilePath(out.toString());
      opts.setIntraOpNumThreads(1);
      try (OrtSession s = OrtVerifier.environment().createSession(model.toString(), opts)) {
        return computeNodes(OnnxImporter.importFile(out));
      }
    }
  }
}
