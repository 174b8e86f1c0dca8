package dev.convoy.pipeline.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.ConvoyException;
import dev.convoy.pipeline.HeadlessBrowser;
import dev.convoy.pipeline.warehouse.Tables;
import dev.convoy.pipeline.warehouse.avro.FailureRow;
import dev.convoy.pipeline.warehouse.avro.LatencyRow;
import dev.convoy.pipeline.warehouse.avro.ModelRow;
import dev.convoy.pipeline.warehouse.avro.RunRow;
import dev.convoy.pipeline.warehouse.avro.VerificationRow;
import java.io.ByteArrayOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Report and compare over a crafted warehouse: run "base", and "worse" where "cnn" regressed. */
class ReportCompareTest {
  @TempDir Path wh;
  private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
  private final PrintWriter out = new PrintWriter(new OutputStreamWriter(buf, StandardCharsets.UTF_8), true);

  @BeforeEach
  void craft() {
    run("base", 1000, List.of(model("cnn", 50, 40, 4000), model("mlp", 20, 12, 900)),
        List.of(verified("cnn", 1e-6, true), verified("mlp", 0, true)), List.of());
    run("worse", 2000, List.of(model("cnn", 50, 44, 4400)),
        List.of(verified("cnn", 3e-3, false)),
        List.of(FailureRow.newBuilder().setModel("mlp").setPath("/zoo/mlp.onnx")
            .setStage("optimize").setErrorClass("OptimizeException")
            .setMessage("rule x broke it").build()));
  }

  @Test
  void reportShowsTheLatestRunWithModelsAndFailures() {
    assertEquals(0, Report.print(wh, null, out));
    String text = text();
    assertTrue(text.contains("run worse"), text);
    assertTrue(text.contains("models: 1 ok, 1 failed"), text);
    assertTrue(text.contains("cnn") && text.contains("50->44 (-12.0%)"), text);
    assertTrue(text.contains("FAIL 3.0e-03"), text);
    assertTrue(text.contains("mlp") && text.contains("OptimizeException"), text);
  }

  @Test
  void reportOfANamedRun() {
    assertEquals(0, Report.print(wh, "base", out));
    assertTrue(text().contains("models: 2 ok, 0 failed"), text());
    assertTrue(text().contains("pass 1.0e-06"), text());
  }

  @Test
  void reportOfAnUnknownRunIsAUserError() {
    ConvoyException e = assertThrows(ConvoyException.class, () -> Report.print(wh, "nope", out));
    assertTrue(e.getMessage().contains("no run 'nope'"), e.getMessage());
  }

  @Test
  void compareFailsOnRegressionOnlyWithTheFlag() {
    assertEquals(1, Compare.print(wh, "base", "worse", true, null, out));
    String text = text();
    assertTrue(text.contains("REGRESSION cnn: nodes 40 -> 44"), text);
    assertTrue(text.contains("REGRESSION cnn: artifact bytes 4000 -> 4400"), text);
    assertTrue(text.contains("REGRESSION cnn: verification passed in A and fails in B"), text);
    assertTrue(text.contains("REGRESSION mlp: failed in B at optimize (OptimizeException)"), text);
    assertTrue(text.contains("4 regression(s)"), text);
    buf.reset();
    assertEquals(0, Compare.print(wh, "base", "worse", false, null, out));
  }

  @Test
  void compareOfARunWithItselfHasNoRegressions() {
    assertEquals(0, Compare.print(wh, "base", "base", true, null, out));
    assertTrue(text().contains("no regressions"), text());
  }

  @Test
  void compareFlagsAGrowingErrorAloneWhileVerificationStillPasses() {
    run("noisier", 3000, List.of(model("cnn", 50, 40, 4000), model("mlp", 20, 12, 900)),
        List.of(verified("cnn", 5e-4, true), verified("mlp", 5e-5, true)), List.of());
    assertEquals(1, Compare.print(wh, "base", "noisier", true, null, out));
    String text = text();
    assertTrue(text.contains("REGRESSION cnn: max abs error 1.00e-06 -> 5.00e-04"), text);
    assertTrue(text.contains("1 regression(s)"), "mlp grew by 5e-5, under the limit: " + text);
  }

  @Test
  void compareFlagsTimeOnlyBeyondBothThePercentageAndTheAbsoluteDelta() {
    run("slower", 3000, List.of(timed(model("cnn", 50, 40, 4000), 3_000_000_000L),
        timed(model("mlp", 20, 12, 900), 1_500_000_000L)),
        List.of(verified("cnn", 1e-6, true), verified("mlp", 0, true)), List.of());
    assertEquals(1, Compare.print(wh, "base", "slower", true, null, out));
    String text = text();
    assertTrue(text.contains("REGRESSION cnn: time 7 ms -> 3000 ms"), text);
    assertTrue(text.contains("1 regression(s)"),
        "mlp took 1.5 s more, under the 2 s minimum delta: " + text);
  }

  private static ModelRow timed(ModelRow m, long totalNanos) {
    return ModelRow.newBuilder(m).setTotalNanos(totalNanos).build();
  }

  @Test
  void thresholdsFileLoosensTheLimits() throws Exception {
    run("slightly", 3000, List.of(model("cnn", 50, 42, 4020), model("mlp", 20, 12, 900)),
        List.of(verified("cnn", 2e-6, true), verified("mlp", 0, true)), List.of());
    assertEquals(1, Compare.print(wh, "base", "slightly", true, null, out));
    Path th = Files.writeString(wh.resolve("th.properties"),
        "nodes.max_increase_pct=10\nsize.max_increase_pct=1\n");
    assertEquals(0, Compare.print(wh, "base", "slightly", true, th, out));
  }

  @Test
  void repositoryThresholdsFileParses() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isRegularFile(p.resolve("configs/regression.properties"))) {
      p = p.getParent();
    }
    org.junit.jupiter.api.Assumptions.assumeTrue(p != null, "configs/ not found");
    assertEquals(Thresholds.DEFAULTS, Thresholds.load(p.resolve("configs/regression.properties")));
  }

  @Test
  void compareFlagsALatencyRegressionOnlyAboveTheAbsoluteDelta() {
    craftFastAndSlow();
    assertEquals(1, Compare.print(wh, "fast", "slow", true, null, out));
    String text = text();
    assertTrue(text.contains("10.00->20.00 (+100.0%)"), text);
    assertTrue(text.contains("REGRESSION cnn: latency 10.00 ms -> 20.00 ms (+100%, limit 25%)"),
        text);
    assertTrue(text.contains("1 regression(s)"), "mlp's +2 ms is below the 5 ms floor: " + text);
  }

  /** The HTML comparison highlights the regression and draws its charts in a headless browser. */
  @Test
  @Tag("browser")
  void htmlCompareHighlightsTheRegressionAndRendersItsCharts() throws Exception {
    craftFastAndSlow();
    Path html = wh.resolve("compare.html");
    HtmlReport.compare(wh, "fast", "slow", Thresholds.DEFAULTS, html);
    String page = Files.readString(html);
    assertTrue(page.contains("<tr class=\"regressed\"><td>cnn</td>"), "cnn highlighted");
    assertTrue(!page.contains("<tr class=\"regressed\"><td>mlp</td>"), "mlp is not");
    String dom = HeadlessBrowser.find()
        .assertChartsRender(html, 3, Path.of("target/screenshots/compare.png"));
    assertTrue(dom.contains("cnn: latency 10.00 ms -&gt; 20.00 ms"), "the regression is listed");
  }

  /** Runs "fast" and "slow": cnn's latency 10 -> 20 ms, mlp's 1 -> 3 ms (below the floor). */
  private void craftFastAndSlow() {
    List<ModelRow> both = List.of(model("cnn", 50, 40, 4000), model("mlp", 20, 12, 900));
    List<VerificationRow> ok = List.of(verified("cnn", 1e-6, true), verified("mlp", 0, true));
    run("fast", 4000, both, ok, List.of());
    Tables.LATENCIES.writePartition(wh, "fast", List.of(latency("cnn", 10), latency("mlp", 1)));
    run("slow", 5000, both, ok, List.of());
    Tables.LATENCIES.writePartition(wh, "slow", List.of(latency("cnn", 20), latency("mlp", 3)));
  }

  private static LatencyRow latency(String name, double resultMs) {
    return LatencyRow.newBuilder().setModel(name).setLevel("O2").setTarget("onnx").setRuntime("ort")
        .setWarmup(1).setRuns(5).setOriginalMs(2 * resultMs).setResultMs(resultMs).setSpeedup(2)
        .setLoadBytes(100).setArenaBytes(-1).setArtifactBytes(4000).build();
  }

  private String text() {
    return buf.toString(StandardCharsets.UTF_8);
  }

  private void run(String id, long start, List<ModelRow> models, List<VerificationRow> verifs,
      List<FailureRow> failures) {
    Tables.RUNS.writePartition(wh, id, List.of(RunRow.newBuilder().setStartedAtMs(start)
        .setEndedAtMs(start + 500).setZoo("/zoo").setLevel("O2").setTarget("cvy")
        .setRunner("direct").setParallelism(2).setConfig("{}").setGitRevision("abc")
        .setModelsTotal(2).setModelsOk(models.size()).setModelsFailed(failures.size()).build()));
    Tables.MODELS.writePartition(wh, id, models);
    Tables.VERIFICATIONS.writePartition(wh, id, verifs);
    if (!failures.isEmpty()) {
      Tables.FAILURES.writePartition(wh, id, failures);
    }
  }

  private static ModelRow model(String name, int before, int after, long bytes) {
    return ModelRow.newBuilder().setModel(name).setPath("/zoo/" + name + ".onnx").setFormat("onnx")
        .setTags("").setLevel("O2").setTarget("cvy").setSourceBytes(5000).setArtifact(name + ".cvy")
        .setArtifactBytes(bytes).setNodesBefore(before).setNodesAfter(after).setOpTypesBefore(5)
        .setOpTypesAfter(4).setOpsBefore("{}").setOpsAfter("{}").setInitializerBytesBefore(100)
        .setInitializerBytesAfter(100).setPieces(1).setVerified(true).setConvertNanos(1_000_000)
        .setPartitionNanos(0).setOptimizeNanos(2_000_000).setStitchNanos(0).setPlanMemoryNanos(0)
        .setVerifyNanos(3_000_000).setWriteNanos(1_000_000).setTotalNanos(7_000_000).setNotes("")
        .build();
  }

  private static VerificationRow verified(String name, double err, boolean passed) {
    return VerificationRow.newBuilder().setModel(name).setLevel("O2").setOracle("ort")
        .setMaxAbsError(err).setMaxRelError(err).setCosine(1).setPassed(passed).setDetail("")
        .build();
  }
}
