package dev.convoy.pipeline.run;

import static dev.convoy.pipeline.Warehouses.query;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.graph.Graph;
import dev.convoy.pipeline.Runs;
import dev.convoy.pipeline.Zoos;
import dev.convoy.transforms.convert.Models;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.Target;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code convoy run} optimizes for the target it writes: a {@code .cvy} run fuses into Convoy's own
 * ops and verifies them in Convoy's evaluator against ONNX Runtime on the original; an ONNX run
 * with {@code --onnx-ops ort} fuses into ONNX Runtime's contrib ops, verified in ONNX Runtime. One
 * model is split into pieces, so fused ops also cross the stitching.
 */
class TargetRunTest {
  @TempDir Path tmp;

  /** Models with Conv+Relu chains (light_inception_v1 split into 3 pieces at threshold 100). */
  private static final List<String> MODELS =
      List.of("light_inception_v1", "optest_conv_bn_relu", "super_resolution");

  private Path zoo() throws Exception {
    Path zoo = Files.createDirectories(tmp.resolve("zoo"));
    for (String m : MODELS) {
      Files.copy(Zoos.bundled().resolve(m + ".onnx"), zoo.resolve(m + ".onnx"));
    }
    Files.copy(Zoos.bundled().resolve("super_resolution.onnx.oracle.args"),
        zoo.resolve("super_resolution.onnx.oracle.args"));
    return zoo;
  }

  private RunSummary run(String runId, String format, Target target) throws Exception {
    RunConfig cfg = RunConfig.of(zoo(), tmp.resolve("out")).withRunId(runId).withLevel(Level.O2)
        .withTarget(format).withOptimizeTarget(target).withPartitionThreshold(100)
        .withLatencyRuns(0);
    RunSummary s = Runs.direct(cfg);
    assertEquals(MODELS.size(), s.modelsOk(), () -> String.join("\n", ZooRunTest.uncheckedQuery(
        s.warehouse(), "SELECT model || ' ' || stage || ' ' || message"
            + " FROM read_parquet('%s/failures/*/*.parquet')")));
    return s;
  }

  /** Each model's artifact, loaded, by model name. */
  private static Map<String, Graph> artifacts(RunSummary s) throws Exception {
    var rows = query(s.warehouse(), "SELECT model || '|' || artifact FROM"
        + " read_parquet('%s/models/*/*.parquet') ORDER BY 1");
    var out = new java.util.TreeMap<String, Graph>();
    for (String row : rows) {
      String[] parts = row.split("\\|");
      out.put(parts[0], Models.load(s.artifacts().resolve(parts[1])));
    }
    return out;
  }

  @Test
  void cvyRunWritesConvoyOpsVerifiedByTheEvaluatorAgainstOrtOnTheOriginal() throws Exception {
    RunSummary s = run("cvy", "cvy", Target.STANDARD);
    Map<String, Graph> artifacts = artifacts(s);
    assertEquals(MODELS, List.copyOf(artifacts.keySet()));
    artifacts.forEach((model, g) -> {
      assertTrue(g.opHistogram().containsKey("convoy::FusedConv"), model + ": " + g.opHistogram());
      assertFalse(g.opHistogram().containsKey("Relu"), model + ": " + g.opHistogram());
    });
    assertEquals(MODELS.stream().map(m -> m + "|cvy|ort/convoy-evaluator|true").toList(),
        query(s.warehouse(), "SELECT m.model || '|' || m.target || '|' || v.oracle || '|'"
            + " || v.passed FROM read_parquet('%s/models/*/*.parquet') m JOIN"
            + " read_parquet('%s/verifications/*/*.parquet') v USING (model)"
            + " ORDER BY 1"));
  }

  @Test
  void onnxRunWithOrtOpsWritesContribOpsVerifiedInOrt() throws Exception {
    RunSummary s = run("ort", "onnx", Target.STANDARD.withOrtOps(true));
    Map<String, Graph> artifacts = artifacts(s);
    artifacts.forEach((model, g) -> {
      assertTrue(g.opHistogram().containsKey("com.microsoft::FusedConv"),
          model + ": " + g.opHistogram());
      assertTrue(g.opHistogram().keySet().stream().noneMatch(k -> k.startsWith("convoy::")),
          model + ": " + g.opHistogram());
    });
    assertEquals(MODELS.stream().map(m -> m + "|onnx|ort|true").toList(),
        query(s.warehouse(), "SELECT m.model || '|' || m.target || '|' || v.oracle || '|'"
            + " || v.passed FROM read_parquet('%s/models/*/*.parquet') m JOIN"
            + " read_parquet('%s/verifications/*/*.parquet') v USING (model)"
            + " ORDER BY 1"));
  }
}
