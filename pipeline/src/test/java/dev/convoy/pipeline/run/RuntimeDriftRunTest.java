package dev.convoy.pipeline.run;

import static dev.convoy.pipeline.Warehouses.query;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.pipeline.Runs;
import dev.convoy.pipeline.query.Compare;
import dev.convoy.pipeline.query.Report;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.testing.NudgeOneConstant;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code .cvy} run of the two dev models on which Convoy's evaluator and ONNX Runtime disagree
 * on the original itself (all-minilm-l6-v2-q: DynamicQuantizeLinear turns summation-order ulps
 * into quantization steps; yolox_nano: near-zero elements of ~100-magnitude boxes): each {@code
 * verifications} row says {@code runtime-drift} with its explanation and counts as verified, the
 * run exits 0 and says so, {@code report} counts and explains the drift. A second run with a
 * test-only rule that nudges one constant by 1e-2 fails on both models although they drift, and
 * {@code compare} shows the verdicts change and flags the regression.
 */
class RuntimeDriftRunTest {
  private static final List<String> MODELS = List.of("all-minilm-l6-v2-q", "yolox_nano");

  @TempDir Path tmp;

  @Test
  void driftingModelsComeOutRuntimeDriftAndANudgedConstantStillFails() throws Exception {
    Path zoo = Runs.devZoo(tmp.resolve("zoo"), MODELS);
    RunConfig exact = RunConfig.of(zoo, tmp.resolve("out")).withRunId("exact")
        .withLevel(Level.O2).withTarget("cvy").withLatencyRuns(0);
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    RunSummary s = Runs.direct(exact, new PrintStream(console, true));
    assertEquals(0, s.exitCode(), console.toString());
    assertTrue(console.toString().contains("(2 verified with drift, see convoy report)"),
        console.toString());
    List<String> rows = query(s.warehouse(), "SELECT model || '|' || verdict || '|' || passed"
        + " || '|' || first_node FROM read_parquet('%s/verifications/*/*.parquet') ORDER BY 1");
    assertEquals(MODELS.size(), rows.size(), rows.toString());
    for (int i = 0; i < MODELS.size(); i++) {
      assertTrue(rows.get(i).startsWith(MODELS.get(i) + "|runtime-drift|true|runtime drift:"
          + " Convoy's evaluator and ONNX Runtime differ by "), rows.get(i));
    }
    String report = report(s.warehouse(), "exact");
    assertTrue(report.contains("verification: 0 pass, 0 drift, 2 runtime-drift, 0 FAIL"), report);
    assertTrue(report.contains("verification mismatches explained (2):"), report);

    RunConfig nudged = exact.withRunId("nudged")
        .withRules(Set.of(NudgeOneConstant.NAME), Set.of());
    RunSummary b = Runs.direct(nudged, new PrintStream(new ByteArrayOutputStream(), true));
    assertEquals(1, b.exitCode());
    assertEquals(MODELS.stream().map(m -> m + "|fail|false").toList(), query(b.warehouse(),
        "SELECT model || '|' || verdict || '|' || passed FROM"
            + " read_parquet('%s/verifications/run_id=nudged/*.parquet') ORDER BY 1"));

    ByteArrayOutputStream text = new ByteArrayOutputStream();
    Compare.print(b.warehouse(), "exact", "nudged", false, null, new PrintWriter(text, true));
    String compared = text.toString();
    for (String m : MODELS) {
      assertTrue(compared.contains(m + ": verification passed in A and fails in B"), compared);
    }
    assertTrue(compared.contains("runtime-drift->FAIL"), compared);
  }

  private static String report(Path warehouse, String runId) {
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    Report.print(warehouse, runId, new PrintWriter(text, true));
    return text.toString();
  }
}
