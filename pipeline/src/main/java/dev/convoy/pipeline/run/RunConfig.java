package dev.convoy.pipeline.run;

import dev.convoy.pipeline.stage.OptimizeSettings;
import dev.convoy.pipeline.storage.Storage;
import dev.convoy.transforms.convert.ModelFormat;
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
 * What {@code convoy run} runs: the zoo (folder or manifest; a folder may also be a URI of any
 * Beam filesystem, listed there), the output folder (artifacts,
 * warehouse), the run id (re-using one replaces that run's rows), optimization level and artifact
 * format, the node count above which a graph is split into pieces, and the rules or passes
 * switched on or off by name on top of the level's pipeline (as {@code optimize --enable/--disable})
 * how many timed runs give each model's latency figures, and the optimizer's {@link Target} (ONNX
 * Runtime's ops allowed or not, the opset to convert to; as {@code optimize --onnx-ops
 * --target-opset}).
 */
public record RunConfig(
    String zoo,
    String out,
    String runId,
    Level level,
    String target,
    int partitionThreshold,
    Set<String> enable,
    Set<String> disable,
    int latencyRuns,
    Target optimizeTarget) {

  public static final int DEFAULT_PARTITION_THRESHOLD = 500;
  /** Timed runs per model for the latency figures (after one warm-up); 0 skips timing. */
  public static final int DEFAULT_LATENCY_RUNS = 10;

  public RunConfig {
    out = Storage.isLocal(out) ? Storage.of(Storage.localPath(out).orElseThrow()) : out;
    enable = Set.copyOf(enable);
    disable = Set.copyOf(disable);
    optimizeTarget = optimizeTarget == null ? Target.STANDARD : optimizeTarget;
    enable.forEach(n -> PassRegistry.requireKnown(n, "--enable"));
    disable.forEach(n -> PassRegistry.requireKnown(n, "--disable"));
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

  /** Level O2, .cvy artifacts, a timestamp run id; output to a local folder. */
  public static RunConfig of(Path zoo, Path out) {
    return of(zoo, Storage.of(out));
  }

  /** Level O2, .cvy artifacts, a timestamp run id; output to {@code out}, a local path or a URI. */
  public static RunConfig of(Path zoo, String out) {
    return of(zoo.toString(), out);
  }

  /**
   * Level O2, .cvy artifacts, a timestamp run id; the zoo and the output each a local path or a
   * URI.
   */
  public static RunConfig of(String zoo, String out) {
    return new RunConfig(zoo, out, null, Level.O2, "cvy",
        DEFAULT_PARTITION_THRESHOLD, Set.of(), Set.of(), DEFAULT_LATENCY_RUNS, Target.STANDARD);
  }

  public RunConfig withRunId(String id) {
    return new RunConfig(zoo, out, id, level, target, partitionThreshold, enable, disable,
        latencyRuns, optimizeTarget);
  }

  public RunConfig withLevel(Level l) {
    return new RunConfig(zoo, out, runId, l, target, partitionThreshold, enable, disable,
        latencyRuns, optimizeTarget);
  }

  public RunConfig withTarget(String t) {
    return new RunConfig(zoo, out, runId, level, t, partitionThreshold, enable, disable,
        latencyRuns, optimizeTarget);
  }

  public RunConfig withPartitionThreshold(int nodes) {
    return new RunConfig(zoo, out, runId, level, target, nodes, enable, disable, latencyRuns,
        optimizeTarget);
  }

  public RunConfig withOut(Path o) {
    return withOut(Storage.of(o));
  }

  /** Output to location {@code o}, a local path or a URI of any Beam filesystem. */
  public RunConfig withOut(String o) {
    return new RunConfig(zoo, o, runId, level, target, partitionThreshold, enable, disable,
        latencyRuns, optimizeTarget);
  }

  /** The rules or passes to switch on and off by name. */
  public RunConfig withRules(Set<String> on, Set<String> off) {
    return new RunConfig(zoo, out, runId, level, target, partitionThreshold, on, off, latencyRuns,
        optimizeTarget);
  }

  /** {@code n} timed runs per model for the latency figures; 0 skips timing. */
  public RunConfig withLatencyRuns(int n) {
    return new RunConfig(zoo, out, runId, level, target, partitionThreshold, enable, disable, n,
        optimizeTarget);
  }

  /** The same run optimizing for another {@link Target} (ops allowed, opset). */
  public RunConfig withOptimizeTarget(Target t) {
    return new RunConfig(zoo, out, runId, level, target, partitionThreshold, enable, disable,
        latencyRuns, t);
  }

  /**
   * The level, rule switches and target, as the optimizing and verifying stages take them: a
   * {@code .cvy} run may also produce Convoy's own ops (its evaluator runs them; the ONNX export
   * of a {@code .cvy} expands them again), as {@code optimize -o OUT.cvy} does.
   */
  public OptimizeSettings optimizeSettings() {
    return new OptimizeSettings(level, enable, disable,
        optimizeTarget.withConvoyOps(target.equals("cvy")));
  }

  /** The artifact format, {@code cvy} or {@code onnx}. */
  public ModelFormat artifactFormat() {
    return ModelFormat.parse(target);
  }

  /** A run id from the current UTC time, e.g. {@code 20261124-235501-123}. */
  public static String newRunId() {
    return ZonedDateTime.now(ZoneOffset.UTC)
        .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS"));
  }

  /** The settings as a map, for the {@code runs.config} column. */
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("zoo", zoo);
    m.put("out", out);
    m.put("runId", runId);
    m.put("level", level.name());
    m.put("target", target);
    m.put("partitionThreshold", partitionThreshold);
    m.put("enable", new TreeSet<>(enable));
    m.put("disable", new TreeSet<>(disable));
    m.put("latencyRuns", latencyRuns);
    m.put("onnxOps", optimizeTarget.ortOps() ? "ort" : "standard");
    m.put("targetOpset", optimizeTarget.opset());
    return m;
  }
}
