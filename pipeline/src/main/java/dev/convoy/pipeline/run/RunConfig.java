package dev.convoy.pipeline.run;

import dev.convoy.pipeline.stage.OptimizeSettings;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.PassRegistry;
import dev.convoy.transforms.optimize.Target;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What {@code convoy run} runs: the zoo (folder or manifest), the output folder (artifacts,
 * warehouse), the run id (re-using one replaces that run's rows), optimization level and artifact
 * format, the runner ({@code direct} or {@code flink}; a Flink master {@code host:port} submits to
 * a cluster, {@code null} runs an embedded one), parallelism (0: the runner's default, the number
 * of cores), the node count above which a graph is split into pieces, and the rules or passes
 * switched on or off by name on top of the level's pipeline (as {@code optimize --enable/--disable})
 * how many timed runs give each model's latency figures, and the optimizer's {@link Target} (ONNX
 * Runtime's ops allowed or not, the opset to convert to; as {@code optimize --onnx-ops
 * --target-opset}).
 */
public record RunConfig(
    Path zoo,
    Path out,
    String runId,
    Level level,
    String target,
    String runner,
    String flinkMaster,
    int parallelism,
    int partitionThreshold,
    Set<String> enable,
    Set<String> disable,
    int latencyRuns,
    Target optimizeTarget) {

  public static final int DEFAULT_PARTITION_THRESHOLD = 500;
  /** Timed runs per model for the latency figures (after one warm-up); 0 skips timing. */
  public static final int DEFAULT_LATENCY_RUNS = 10;

  public RunConfig {
    enable = Set.copyOf(enable);
    disable = Set.copyOf(disable);
    optimizeTarget = optimizeTarget == null ? Target.STANDARD : optimizeTarget;
    enable.forEach(n -> PassRegistry.requireKnown(n, "--enable"));
    disable.forEach(n -> PassRegistry.requireKnown(n, "--disable"));
    if (!runner.equals("direct") && !runner.equals("flink")) {
      throw new dev.convoy.ir.ConvoyException(
          "unknown runner '" + runner + "' (expected direct or flink)");
    }
    if (!target.equals("cvy") && !target.equals("onnx")) {
      throw new dev.convoy.ir.ConvoyException(
          "unknown target format '" + target + "' (expected cvy or onnx)");
    }
    if (latencyRuns < 0) {
      throw new dev.convoy.ir.ConvoyException(
          "latency runs must be 0 (no timing) or more, got " + latencyRuns);
    }
    if (partitionThreshold <= 0) {
      throw new dev.convoy.ir.ConvoyException(
          "partition threshold must be positive, got " + partitionThreshold);
    }
    if (runId == null || runId.isBlank()) {
      runId = newRunId();
    } else if (!runId.matches("[A-Za-z0-9._-]+")) {
      throw new dev.convoy.ir.ConvoyException(
          "run id '" + runId + "' may only hold letters, digits, '.', '_' and '-'");
    }
  }

  /** Direct runner, level O2, .cvy artifacts, a timestamp run id. */
  public static RunConfig of(Path zoo, Path out) {
    return new RunConfig(zoo, out, null, Level.O2, "cvy", "direct", null, 0,
        DEFAULT_PARTITION_THRESHOLD, Set.of(), Set.of(), DEFAULT_LATENCY_RUNS, Target.STANDARD);
  }

  public RunConfig withRunId(String id) {
    return new RunConfig(zoo, out, id, level, target, runner, flinkMaster, parallelism,
        partitionThreshold, enable, disable, latencyRuns, optimizeTarget);
  }

  public RunConfig withLevel(Level l) {
    return new RunConfig(zoo, out, runId, l, target, runner, flinkMaster, parallelism,
        partitionThreshold, enable, disable, latencyRuns, optimizeTarget);
  }

  public RunConfig withTarget(String t) {
    return new RunConfig(zoo, out, runId, level, t, runner, flinkMaster, parallelism,
        partitionThreshold, enable, disable, latencyRuns, optimizeTarget);
  }

  /** {@code direct} or {@code flink}; {@code master} {@code null} for embedded Flink. */
  public RunConfig withRunner(String r, String master, int p) {
    return new RunConfig(zoo, out, runId, level, target, r, master, p, partitionThreshold,
        enable, disable, latencyRuns, optimizeTarget);
  }

  public RunConfig withPartitionThreshold(int nodes) {
    return new RunConfig(zoo, out, runId, level, target, runner, flinkMaster, parallelism, nodes,
        enable, disable, latencyRuns, optimizeTarget);
  }

  public RunConfig withOut(Path o) {
    return new RunConfig(zoo, o, runId, level, target, runner, flinkMaster, parallelism,
        partitionThreshold, enable, disable, latencyRuns, optimizeTarget);
  }

  /** The rules or passes to switch on and off by name. */
  public RunConfig withRules(Set<String> on, Set<String> off) {
    return new RunConfig(zoo, out, runId, level, target, runner, flinkMaster, parallelism,
        partitionThreshold, on, off, latencyRuns, optimizeTarget);
  }

  /** {@code n} timed runs per model for the latency figures; 0 skips timing. */
  public RunConfig withLatencyRuns(int n) {
    return new RunConfig(zoo, out, runId, level, target, runner, flinkMaster, parallelism,
        partitionThreshold, enable, disable, n, optimizeTarget);
  }

  /** The same run optimizing for another {@link Target} (ops allowed, opset). */
  public RunConfig withOptimizeTarget(Target t) {
    return new RunConfig(zoo, out, runId, level, target, runner, flinkMaster, parallelism,
        partitionThreshold, enable, disable, latencyRuns, t);
  }

  /** The level, rule switches and target, as the optimizing and verifying stages take them. */
  public OptimizeSettings optimizeSettings() {
    return new OptimizeSettings(level, enable, disable, optimizeTarget.ortOps(),
        optimizeTarget.opset());
  }

  /** A run id from the current UTC time, e.g. {@code 20261124-235501-123}. */
  public static String newRunId() {
    return ZonedDateTime.now(ZoneOffset.UTC)
        .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS"));
  }

  /** The settings as a map, for the {@code runs.config} column. */
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("zoo", zoo.toString());
    m.put("out", out.toString());
    m.put("runId", runId);
    m.put("level", level.name());
    m.put("target", target);
    m.put("runner", runner);
    m.put("flinkMaster", flinkMaster);
    m.put("parallelism", parallelism);
    m.put("partitionThreshold", partitionThreshold);
    m.put("enable", new TreeSet<>(enable));
    m.put("disable", new TreeSet<>(disable));
    m.put("latencyRuns", latencyRuns);
    m.put("onnxOps", optimizeTarget.ortOps() ? "ort" : "standard");
    m.put("targetOpset", optimizeTarget.opset());
    return m;
  }
}
