package dev.convoy.pipeline.run;

import dev.convoy.pipeline.element.JsonCoder;
import dev.convoy.pipeline.stage.Stages;
import dev.convoy.pipeline.storage.Storage;
import dev.convoy.pipeline.warehouse.RunTable;
import dev.convoy.pipeline.warehouse.avro.RunRow;
import dev.convoy.pipeline.zoo.ZooIO;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;

/**
 * {@code convoy run}: runs a zoo through the pipeline on the runner its {@link Execution} names
 * (chosen by the {@code runners} module), shows progress, then
 * records the run in the {@code runs} table. Every model ends either written (artifact, report,
 * warehouse rows) or as one {@code failures} row. The run writes into a staging folder and
 * appears under {@code --out} only when it commits ({@link RunStaging}); re-using a run id
 * replaces exactly that run's rows.
 */
public final class ZooRun {
  private ZooRun() {}

  /** Runs {@code cfg} as {@code exec} says, printing progress to {@code console}. */
  public static RunSummary run(RunConfig cfg, Execution exec, PrintStream console) {
    return run(cfg, exec, new PrintWriter(console, true));
  }

  /**
   * Runs {@code cfg} as {@code exec} says, printing progress to {@code console} (the CLI's
   * console, which need not be {@code System.out}).
   */
  public static RunSummary run(RunConfig cfg, Execution exec, PrintWriter console) {
    // The pipeline first: it registers the filesystems of its options, where the zoo may be.
    Pipeline p = Pipeline.create(exec.options());
    int total = ZooIO.list(cfg.zoo()).size();
    String out = cfg.out();
    RunStaging staging = RunStaging.open(out, cfg.runId());
    ZooPipeline.build(p, cfg, staging.dir());
    long start = System.currentTimeMillis();
    PipelineResult result;
    try (Progress progress = Progress.start(cfg.runId(), total, console, exec.progress())) {
      result = p.run();
      result.waitUntilFinish();
    } catch (RuntimeException e) {
      staging.discard();
      throw e;
    }
    long end = System.currentTimeMillis();
    Map<String, Long> counters = counters(result);
    int ok = counters.getOrDefault(Stages.DONE_COUNTER, 0L).intValue();
    int failed = counters.getOrDefault(Stages.FAILED_COUNTER, 0L).intValue();
    int mismatches = counters.getOrDefault(Stages.MISMATCH_COUNTER, 0L).intValue();
    int drifts = counters.getOrDefault(Stages.DRIFT_COUNTER, 0L).intValue();
    RunTable.write(staging.warehouse(), cfg.runId(), RunRow.newBuilder()
        .setStartedAtMs(start)
        .setEndedAtMs(end)
        .setZoo(cfg.zoo())
        .setLevel(cfg.level().name())
        .setTarget(cfg.target())
        .setRunner(exec.runner())
        .setParallelism(exec.parallelism())
        .setConfig(json(describe(cfg, exec)))
        .setGitRevision(gitRevision())
        .setModelsTotal(total)
        .setModelsOk(ok)
        .setModelsFailed(failed)
        .build());
    staging.commit();
    String warehouse = Storage.dir(out, "warehouse");
    console.printf("convoy run %s: %d ok, %d failed of %d in %.1f s%s; warehouse %s%n",
        cfg.runId(), ok, failed, total, (end - start) / 1e3,
        verificationNote(mismatches, drifts), warehouse);
    console.flush();
    return new RunSummary(cfg.runId(), out, total, ok, failed, mismatches, end - start,
        counters.getOrDefault(Stages.NODES_COUNTER, 0L),
        counters.getOrDefault(Stages.OPTIMIZE_MS_COUNTER, 0L));
  }

  /**
   * The summary's note on verification: mismatches (which fail the run) and drifts (accepted,
   * shown by {@code convoy report}).
   */
  static String verificationNote(int mismatches, int drifts) {
    List<String> notes = new ArrayList<>();
    if (mismatches > 0) {
      notes.add(mismatches + " with verification mismatches");
    }
    if (drifts > 0) {
      notes.add(drifts + " verified with drift, see convoy report");
    }
    return notes.isEmpty() ? "" : " (" + String.join("; ", notes) + ")";
  }

  /** The run's settings with the runner's, for the {@code runs.config} column. */
  private static Map<String, Object> describe(RunConfig cfg, Execution exec) {
    Map<String, Object> m = cfg.describe();
    m.put("runner", exec.runner());
    m.put("parallelism", exec.parallelism());
    return m;
  }

  private static Map<String, Long> counters(PipelineResult result) {
    Map<String, Long> out = new HashMap<>();
    var query = result.metrics().queryMetrics(MetricsFilter.builder()
        .addNameFilter(MetricNameFilter.inNamespace(Stages.NAMESPACE)).build());
    for (MetricResult<Long> c : query.getCounters()) {
      out.merge(c.getName().getName(), c.getAttempted(), Long::sum);
    }
    return out;
  }

  private static String json(Object o) {
    try {
      return JsonCoder.mapper().writeValueAsString(o);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The checkout's short commit id, or {@code unknown} outside a git checkout. */
  static String gitRevision() {
    try {
      Process git = new ProcessBuilder("git", "rev-parse", "--short", "HEAD")
          .redirectErrorStream(true).start();
      byte[] text = git.getInputStream().readAllBytes();
      if (git.waitFor(5, TimeUnit.SECONDS) && git.exitValue() == 0) {
        return new String(text, StandardCharsets.UTF_8).strip();
      }
    } catch (IOException e) {
      return "unknown";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return "unknown";
  }
}
