package dev.convoy.pipeline.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.pipeline.Runs;
import dev.convoy.pipeline.HeadlessBrowser;
import dev.convoy.pipeline.Warehouses;
import dev.convoy.pipeline.Zoos;
import dev.convoy.pipeline.query.Compare;
import dev.convoy.pipeline.query.HtmlReport;
import dev.convoy.pipeline.query.Report;
import dev.convoy.pipeline.query.Thresholds;
import dev.convoy.transforms.optimize.Level;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The impact figures of a zoo run: every model of the bundled zoo gets a {@code latencies} row
 * (original and result timed in ONNX Runtime for the ONNX target, in Convoy's evaluator for .cvy,
 * with the arena from the O3 memory plan), {@code rule_stats} agree with the per-pass counts, and
 * {@code report} shows them.
 */
class ImpactFiguresRunTest {
  @TempDir static Path tmp;
  static RunSummary o2;
  static RunSummary o3;

  /** Two runs of the bundled zoo into one warehouse: O2 to ONNX, O3 to .cvy. */
  @BeforeAll
  static void runTheBundledZooTwice() throws Exception {
    o2 = Runs.direct(RunConfig.of(Zoos.bundled(), tmp.resolve("out")).withRunId("o2")
        .withLevel(Level.O2).withTarget("onnx").withLatencyRuns(3));
    o3 = Runs.direct(RunConfig.of(Zoos.bundled(), tmp.resolve("out")).withRunId("o3")
        .withLevel(Level.O3).withTarget("cvy").withLatencyRuns(1));
  }

  @Test
  void anO2RunToOnnxTimesEveryModelInOrtAndCountsRules() throws Exception {
    RunSummary s = o2;
    List<String> models = Warehouses.query(s.warehouse(),
        "SELECT model FROM '%s/models/run_id=o2/*.parquet' ORDER BY 1");
    assertEquals(5, models.size(), models.toString());
    assertEquals(models, Warehouses.query(s.warehouse(), "SELECT model FROM '%s/latencies/run_id=o2/*.parquet'"
        + " WHERE runtime = 'ort' AND runs = 3 AND original_ms > 0 AND result_ms > 0"
        + " AND abs(speedup - original_ms / result_ms) < 1e-9 AND load_bytes >= 0"
        + " AND arena_bytes = -1 AND artifact_bytes > 0 ORDER BY 1"));
    // Rule counts summed per model equal the per-pass rewrite totals, and a model that lost
    // nodes had rules fire.
    assertEquals(List.of(), Warehouses.query(s.warehouse(), "SELECT p.model FROM (SELECT model,"
        + " sum(rewrites) AS n FROM '%s/pass_stats/run_id=o2/*.parquet' GROUP BY model) p FULL JOIN"
        + " (SELECT model, sum(rewrites) AS n FROM '%s/rule_stats/run_id=o2/*.parquet' GROUP BY model) r"
        + " USING (model) WHERE p.n IS DISTINCT FROM r.n AND p.n > 0"));
    assertEquals(List.of(), Warehouses.query(s.warehouse(), "SELECT model FROM '%s/models/run_id=o2/*.parquet'"
        + " WHERE nodes_after < nodes_before AND model NOT IN"
        + " (SELECT model FROM '%s/rule_stats/run_id=o2/*.parquet')"));

    // The zoo's tree mirrored: OUT/models/<name>.O2.onnx is the artifact, its report beside it.
    for (String row : Warehouses.query(s.warehouse(), "SELECT model || ' ' || artifact"
        + " FROM '%s/models/run_id=o2/*.parquet'")) {
      String[] f = row.split(" ");
      Path mirrored = tmp.resolve("out/models").resolve(f[0] + ".O2.onnx");
      assertEquals(-1L, Files.mismatch(mirrored, s.artifacts().resolve(f[1])), mirrored.toString());
      assertTrue(Files.readString(tmp.resolve("out/models").resolve(f[0] + ".O2.report.json"))
          .contains(f[1]), f[0]);
    }

    ByteArrayOutputStream text = new ByteArrayOutputStream();
    Report.print(s.warehouse(), "o2", new PrintWriter(text, true));
    String report = text.toString();
    assertTrue(report.contains("impact (median latency") && report.contains("rules fired:"), report);
    for (String m : models) {
      assertTrue(report.lines().anyMatch(l -> l.startsWith("  " + m) && l.contains(" ort ")),
          m + ": " + report);
    }
  }

  @Test
  void anO3RunToCvyTimesTheEvaluatorAndRecordsTheArena() throws Exception {
    assertEquals(List.of(), Warehouses.query(o3.warehouse(),
        "SELECT l.model FROM '%s/latencies/run_id=o3/*.parquet' l"
            + " LEFT JOIN '%s/memory_plans/run_id=o3/*.parquet' p USING (model)"
            + " WHERE l.runtime <> 'convoy' OR l.arena_bytes IS DISTINCT FROM p.arena_bytes"
            + " OR l.result_ms <= 0"));
    // A model without figures says why (the evaluator lacks an op).
    assertEquals(List.of(), Warehouses.query(o3.warehouse(), "SELECT m.model || ': ' || m.notes"
        + " FROM '%s/models/run_id=o3/*.parquet' m WHERE m.model NOT IN"
        + " (SELECT model FROM '%s/latencies/run_id=o3/*.parquet')"
        + " AND m.notes NOT LIKE '%latency not measured: %'"));
    System.out.println(Warehouses.query(o3.warehouse(), "SELECT model || ' ' || original_ms || ' -> '"
        + " || result_ms || ' ms, arena ' || arena_bytes FROM '%s/latencies/run_id=o3/*.parquet'"));
  }

  /**
   * {@code report --html} and {@code compare --html} pages load in a real headless browser with
   * no script error and every chart drawn as SVG (checked in the DOM after rendering); a
   * screenshot of each is written to {@code target/screenshots}.
   */
  @Test
  @Tag("browser")
  void htmlReportAndCompareRenderEveryChartInAHeadlessBrowser() throws Exception {
    Path report = Path.of("target/screenshots/report.html");
    HtmlReport.report(o2.warehouse(), "o2", report);
    Path compare = Path.of("target/screenshots/compare.html");
    HtmlReport.compare(o2.warehouse(), "o2", "o3", Thresholds.DEFAULTS, compare);
    String page = Files.readString(report);
    assertTrue(!page.contains("<script src") && !page.contains("<link"), "self-contained");
    HeadlessBrowser browser = HeadlessBrowser.find();
    browser.assertChartsRender(report, 4, Path.of("target/screenshots/report.png"));
    // o3 was timed in the evaluator, o2 in ORT: only the node chart compares them.
    browser.assertChartsRender(compare, 1, Path.of("target/screenshots/compare-o2-o3.png"));
    // o2 was timed in ORT and o3 in the evaluator: their latencies are not compared.
    assertTrue(Compare.compute(o2.warehouse(), "o2", "o3", Thresholds.DEFAULTS).models().stream()
        .allMatch(d -> Double.isNaN(d.latencyMsA())
            && d.regressions().stream().noneMatch(r -> r.contains("latency"))));
    String comparison = browser.dumpDom(compare);
    for (String m : Warehouses.query(o2.warehouse(),
        "SELECT model FROM '%s/models/run_id=o2/*.parquet' ORDER BY 1")) {
      assertTrue(comparison.contains(m), m);
    }
  }
}
