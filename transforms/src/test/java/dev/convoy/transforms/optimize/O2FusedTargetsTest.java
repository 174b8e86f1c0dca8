package dev.convoy.transforms.optimize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.onnxruntime.OrtSession;
import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.ops.family.ConvoyFused;
import dev.convoy.ir.testing.TestData;
import dev.convoy.ir.verify.GraphVerifier;
import dev.convoy.transforms.convert.ModelFormat;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import dev.convoy.transforms.testing.OrtFixture;
import dev.convoy.transforms.verify.Judgement;
import dev.convoy.transforms.verify.ModelVerification;
import dev.convoy.transforms.verify.Oracle;
import dev.convoy.transforms.verify.OracleArgs;
import dev.convoy.transforms.verify.OrtVerifier;
import dev.convoy.transforms.verify.SeededInputs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * O2 for the two non-standard targets on every dev model, no input shapes. {@code --onnx-ops ort}:
 * the result holds only standard and {@code com.microsoft} ops, ONNX Runtime loads it, and it
 * computes what the original computes in ONNX Runtime (rtol 1e-4, atol 1e-5). {@code cvy}: Convoy's
 * evaluator on the fused graph agrees with ONNX Runtime on the original as {@code optimize
 * --verify} judges it (pass, or drift: quantization drift, or runtime drift that the evaluator
 * shows on the original itself), and the graph's ONNX export (its {@code convoy}
 * ops expanded) holds only standard ops and agrees with the original in ONNX Runtime. Node counts
 * (all subgraphs, no Constant): {@code cvy} at most ONNX Runtime's EXTENDED level on every dev
 * model, {@code ort} too but for two named models whose excess and its cause (EXTENDED's own
 * model off the verification bar) are re-measured here. With {@code
 * -Dconvoy.bench=true} it also writes compute-node counts beside ONNX Runtime's EXTENDED offline
 * optimization measured in the same run ({@code target/fused-node-counts.md}).
 */
class O2FusedTargetsTest {
  @RegisterExtension static final OrtFixture ORT = new OrtFixture();

  private static final OptimizeOptions ORT_TARGET =
      OptimizeOptions.atLevel(Level.O2).withTarget(Target.STANDARD.withOrtOps(true));
  private static final OptimizeOptions CVY_TARGET =
      OptimizeOptions.atLevel(Level.O2).withTarget(Target.CVY);

  @TestFactory
  Stream<DynamicTest> ortTargetLoadsInOrtAndKeepsItsOutputs() {
    return TestData.devModelFiles().stream().map(p -> DynamicTest.dynamicTest(
        p.getFileName().toString(), () -> {
          Graph g = optimize(p, ORT_TARGET);
          assertEquals(Set.of(), domainsBeyond(g, Set.of("", "ai.onnx.ml", Target.MICROSOFT)));
          Map<String, Tensor> inputs = inputs(p);
          var v = ORT.verifier().compare(
              Files.readAllBytes(p), OnnxExporter.toBytes(g), inputs);
          assertTrue(v.pass(), p + ": outputs changed: " + v.firstFailure());
        }));
  }

  @TestFactory
  Stream<DynamicTest> cvyTargetAgreesWithOrtThroughTheEvaluatorAndItsExport() {
    return TestData.devModelFiles().stream().map(p -> DynamicTest.dynamicTest(
        p.getFileName().toString(), () -> {
          Graph g = optimize(p, CVY_TARGET);
          Map<String, Tensor> inputs = inputs(p);
          Judgement j = ModelVerification.judge(Oracle.choose(ModelFormat.ONNX, ModelFormat.CVY),
              p, OnnxImporter.importFile(p), g, inputs, ORT.verifier(), Evaluator.standard(),
              () -> null);
          assertTrue(j.accepted(), p + ": evaluator on the .cvy graph: " + j.summary());
          byte[] exported = OnnxExporter.toBytes(g);
          Graph back = OnnxImporter.importBytes(exported, "exported", null);
          assertEquals(Set.of(), domainsBeyond(back, Set.of("", "ai.onnx.ml")));
          var v = ORT.verifier().compare(Files.readAllBytes(p), exported, inputs);
          assertTrue(v.pass(), p + ": exported .cvy graph: " + v.firstFailure());
        }));
  }

  /**
   * A dev model on which {@code --onnx-ops ort} keeps more compute nodes than ONNX Runtime's
   * EXTENDED level: by at most {@code bound}, because the fusions EXTENDED counts on change ONNX
   * Runtime's own outputs beyond the verification bar ({@code cause}), which the test re-measures.
   */
  private record OrtExcess(int bound, String cause) {}

  private static final Map<String, OrtExcess> ORT_EXCESS = Map.of(
      "all-minilm-l6-v2-q.onnx", new OrtExcess(45, "twelve LayerNorm chains feeding"
          + " DynamicQuantizeLinear (+96 nodes) and DynamicQuantizeMatMul (+12): fused, each moves"
          + " the output by 0.063-0.076 (EXTENDED's own model: 0.0625)"),
      "small_cnn_qdq.onnx", new OrtExcess(2, "QLinearGlobalAveragePool sums integers where the"
          + " original rounds a float mean, and its 64 values of one scale in and out reach exact"
          + " ties (a sum of 32 mod 64): EXTENDED's model is one output step (0.0019) off on about"
          + " 1 input in 25"));

  /** Seeded input sets tried to show an excepted model's EXTENDED result off the bar. */
  private static final int CAUSE_TRIALS = 100;

  @TestFactory
  Stream<DynamicTest> fusedTargetsKeepNoMoreNodesThanOrtExtended() {
    return TestData.devModelFiles().stream().map(p -> DynamicTest.dynamicTest(
        p.getFileName().toString(), () -> {
          Path tmp = Files.createTempDirectory("extended");
          Path ext = tmp.resolve("ext.onnx");
          int extNodes = extendedNodes(p, ext);
          int cvy = O2DevModelsTest.computeNodes(optimize(p, CVY_TARGET));
          assertTrue(cvy <= extNodes, p + ": cvy keeps " + cvy + " nodes, EXTENDED " + extNodes);
          int ort = O2DevModelsTest.computeNodes(optimize(p, ORT_TARGET));
          OrtExcess excess = ORT_EXCESS.get(p.getFileName().toString());
          if (excess == null) {
            assertTrue(ort <= extNodes, p + ": ort keeps " + ort + " nodes, EXTENDED " + extNodes);
            return;
          }
          assertTrue(ort <= extNodes + excess.bound(), p + ": ort keeps " + ort
              + " nodes, more than EXTENDED's " + extNodes + " + " + excess.bound());
          assertTrue(extendedMissesTheBar(p, ext), p + ": excepted from ort <= EXTENDED for "
              + excess.cause() + ", but EXTENDED's model met the bar on " + CAUSE_TRIALS
              + " input sets: revisit the exception");
        }));
  }

  /** Whether ONNX Runtime's EXTENDED model of {@code model} fails the bar on some seeded set. */
  private static boolean extendedMissesTheBar(Path model, Path ext) throws Exception {
    byte[] original = Files.readAllBytes(model);
    byte[] extended = Files.readAllBytes(ext);
    Graph g = OnnxImporter.importFile(model);
    Map<String, long[]> shapes = OracleArgs.read(model).shapes();
    for (int seed = 0; seed < CAUSE_TRIALS; seed++) {
      Map<String, Tensor> in = SeededInputs.generate(g, shapes, SeededInputs.DEFAULT_SEED + seed);
      if (!ORT.verifier().compare(original, extended, in).pass()) {
        return true;
      }
    }
    return false;
  }

  private static Graph optimize(Path model, OptimizeOptions options) {
    OptimizeResult r = Optimizer.optimize(OnnxImporter.importFile(model), options);
    assertTrue(r.converged(), model + ": pipeline did not settle: " + r.notes());
    assertEquals(List.of(), GraphVerifier.verify(r.graph()), model + ": invalid result");
    return r.graph();
  }

  private static Map<String, Tensor> inputs(Path model) {
    return SeededInputs.generate(OnnxImporter.importFile(model), OracleArgs.read(model).shapes());
  }

  /** Domains of {@code g}'s nodes (all subgraphs) outside {@code allowed}. */
  static Set<String> domainsBeyond(Graph g, Set<String> allowed) {
    Set<String> out = new TreeSet<>();
    g.forEachNode(n -> {
      if (!allowed.contains(n.domain())) {
        out.add(n.domain());
      }
    });
    return out;
  }

  @Test
  void nodeCountsBesideOrtExtended() throws Exception {
    assumeTrue(Boolean.getBoolean("convoy.bench"), "node-count table only with -Dconvoy.bench=true");
    List<String> rows = new ArrayList<>();
    rows.add("| model | compute nodes | convoy O2 | convoy O2 cvy | convoy O2 ort | ORT EXTENDED"
        + " | cvy <= EXT | ort <= EXT |");
    rows.add("|---|---:|---:|---:|---:|---:|---|---|");
    int cvyMet = 0;
    int ortMet = 0;
    Path tmp = Files.createTempDirectory("fusedcounts");
    List<Path> models = TestData.devModelFiles();
    for (Path model : models) {
      Graph g = OnnxImporter.importFile(model);
      int o2 = O2DevModelsTest.computeNodes(
          Optimizer.optimize(g, OptimizeOptions.atLevel(Level.O2)).graph());
      int cvy = O2DevModelsTest.computeNodes(Optimizer.optimize(g, CVY_TARGET).graph());
      int ort = O2DevModelsTest.computeNodes(Optimizer.optimize(g, ORT_TARGET).graph());
      int ext = extendedNodes(model, tmp.resolve(model.getFileName() + ".ext.onnx"));
      cvyMet += cvy <= ext ? 1 : 0;
      ortMet += ort <= ext ? 1 : 0;
      rows.add(String.format("| %s | %d | %d | %d | %d | %d | %s | %s |",
          model.getFileName().toString().replace(".onnx", ""),
          O2DevModelsTest.computeNodes(g), o2, cvy, ort, ext, cvy <= ext ? "yes" : "**no**",
          ort <= ext ? "yes" : "**no**"));
    }
    rows.add("");
    rows.add(String.format("cvy at most ORT EXTENDED on %d of %d models; ort on %d of %d.",
        cvyMet, models.size(), ortMet, models.size()));
    String table = String.join("\n", rows) + "\n";
    Files.writeString(Path.of("target/fused-node-counts.md"), table);
    System.out.println(table);
  }

  /** ONNX Runtime's EXTENDED offline optimization of {@code model}, saved to {@code out}. */
  private static int extendedNodes(Path model, Path out) throws Exception {
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
      opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.EXTENDED_OPT);
      opts.setOptimizedModelFilePath(out.toString());
      opts.setIntraOpNumThreads(1);
      try (OrtSession s = OrtVerifier.environment().createSession(model.toString(), opts)) {
        return O2DevModelsTest.computeNodes(OnnxImporter.importFile(out));
      }
    }
  }
}
