package dev.convoy.pipeline.run;

import dev.convoy.pipeline.element.JsonCoder;
import dev.convoy.pipeline.stage.Stages;
import dev.convoy.pipeline.warehouse.RunTable;
import dev.convoy.pipeline.warehouse.avro.RunRow;
import dev.convoy.pipeline.zoo.ZooIO;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * {@code convoy run}: runs a zoo through the pipeline on the chosen runner, shows progress, then
 * records the run in the {@code runs} table. Every model ends either written (artifact, report,
 * warehouse rows) or as one {@code failures} row. The run writes into a staging folder and
 * appears under {@code --out} only when it commits ({@link RunStaging}); re-using a run id
 * replaces exactly that run's rows.
 */
public final class ZooRun {
  private ZooRun() {}

  public static RunSummary run(RunConfig cfg) {
    return run(cfg, System.out);
  }

  /** Runs {@code cfg}, printing progress to {@code console}. */
  public static RunSummary run(RunConfig cfg, PrintStream console) {
    int total = ZooIO.list(cfg.zoo()).size();
    Path out = cfg.out().toAbsolutePath();
    RunStaging staging = RunStaging.open(out, cfg.runId());
    Pipeline p = Pipeline.create(options(cfg, staging.dir()));
    ZooPipeline.build(p, cfg, staging.dir());
    long start = System.currentTimeMillis();
    PipelineResult result;
    try (Progress progress = Progress.start(cfg.runId(), total, console)) {
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
    RunTable.write(staging.warehouse(), cfg.runId(), RunRow.newBuilder()
        .setStartedAtMs(start)
        .setEndedAtMs(end)
        .setZoo(cfg.zoo().toString())
        .setLevel(cfg.level().name())
        .setTarget(cfg.target())
        .setRunner(cfg.runner() + (cfg.flinkMaster() == null ? "" : "@" + cfg.flinkMaster()))
        .setParallelism(parallelism(cfg))
        .setConfig(json(cfg.describe()))
        .setGitRevision(gitRevision())
        .setModelsTotal(total)
        .setModelsOk(ok)
        .setModelsFailed(failed)
        .build());
    staging.commit();
    Path warehouse = out.resolve("warehouse");
    console.printf("convoy run %s: %d ok, %d failed of %d in %.1f s%s; warehouse %s%n",
        cfg.runId(), ok, failed, total, (end - start) / 1e3,
        mismatches == 0 ? "" : " (" + mismatches + " with verification mismatches)", warehouse);
    return new RunSummary(cfg.runId(), out, total, ok, failed, mismatches, end - start,
        counters.getOrDefault(Stages.NODES_COUNTER, 0L),
        counters.getOrDefault(Stages.OPTIMIZE_MS_COUNTER, 0L));
  }

  private static int parallelism(RunConfig cfg) {
    return cfg.parallelism() > 0 ? cfg.parallelism() : Runtime.getRuntime().availableProcessors();
  }

  /**
   * Options for the configured runner. A run submitted to a Flink cluster stages only the
   * {@link JobJar} (written into {@code staging} when it has to be packed).
   */
  static PipelineOptions options(RunConfig cfg, Path staging) {
    int parallelism = parallelism(cfg);
    if (cfg.runner().equals("flink")) {
      FlinkPipelineOptions o = PipelineOptionsFactory.as(FlinkPipelineOptions.class);
      o.setRunner(FlinkRunner.class);
      o.setFlinkMaster(cfg.flinkMaster() == null ? "[local]" : cfg.flinkMaster());
      o.setParallelism(parallelism);
      o.setJobName("convoy-" + cfg.runId().toLowerCase(java.util.Locale.ROOT));
      if (cfg.flinkMaster() != null) {
        o.setFilesToStage(List.of(JobJar.forThisClasspath(staging).toString()));
      }
      return o;
    }
    DirectOptions o = PipelineOptionsFactory.as(DirectOptions.class);
    o.setRunner(DirectRunner.class);
    o.setTargetParallelism(parallelism);
    return o;
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
