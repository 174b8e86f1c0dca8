package dev.convoy.runners.bench;

import dev.convoy.pipeline.run.RunConfig;
import dev.convoy.pipeline.run.RunSummary;
import dev.convoy.pipeline.run.ZooRun;
import dev.convoy.pipeline.zoo.SynthZoo;
import dev.convoy.runners.cluster.LocalCluster;
import dev.convoy.runners.runner.Runner;
import dev.convoy.transforms.optimize.Level;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Zoo throughput on a synthetic zoo, Direct runner against a real Flink session cluster
 * ({@link LocalCluster}: a JobManager and 1 or 2 single-slot TaskManagers), 1 and 2 workers, in
 * one process: models/min, speed-up from 1 to 2 workers, the pipeline's overhead against the stage
 * times summed over models (wall x workers / summed stage time - 1), and the peak RSS of each
 * worker process (the client JVM for Direct, each TaskManager for Flink). Each configuration
 * first runs a warm-up zoo of other models on the same workers (JIT compilation, ONNX Runtime's
 * first sessions, Flink's first job on fresh TaskManagers); its wall time is reported beside the
 * measured run and not counted in it. SCALE (default 1) is {@code zoo synth --scale}: larger
 * activations, so that stage time, not fixed costs, dominates. A benchmark: it asserts nothing.
 *
 * <p>Beside the table: each configuration's stage time by stage (where a second worker's time
 * goes), and for the cluster how the models fell on the TaskManagers (each TaskManager logs one
 * line per finished model; count and summed stage time per TaskManager), each JVM's CPU seconds
 * during the measured run and its busiest thread groups ({@link JvmCpu}: JIT, GC, Flink's RPC and
 * REST threads, the tasks).
 *
 * <p>{@code -Dconvoy.cluster.config=FILE} replaces {@code configs/flink/config.yaml} (to measure
 * a setting against it); {@code -Dconvoy.bench.warmup=N} sets the warm-up zoo's size (how warm
 * the JITs are when the measured run starts).
 *
 * <p>RUNNERS may also hold {@code ceiling}: first the machine's own ceiling ({@link
 * MachineCeiling}: the same per-model work on a sample of the zoo, with no runner, in 1 and 2
 * threads and 1 and 2 JVMs), printed after the table, so that the speed-up is read against what
 * the two cores give ({@code -Dconvoy.bench.ceiling.models=N}, {@code
 * -Dconvoy.bench.ceiling.rounds=N}).
 *
 * <p>{@code java @runners/target/convoy.args dev.convoy.runners.bench.ClusterZooBenchmark N SEED
 * WORK_DIR [LEVEL [SCALE [RUNNERS]]]}, RUNNERS {@code direct,flink} (default) or one of them;
 * {@code flink:TxS} runs one cluster layout alone (T TaskManagers with S slots each).
 */
public final class ClusterZooBenchmark {
  /** Thread groups shown per JVM in the CPU table. */
  private static final int THREAD_GROUPS = 5;
  /** Models per pass of the machine ceiling: {@code -Dconvoy.bench.ceiling.models=N}. */
  private static final int CEILING_MODELS = Integer.getInteger("convoy.bench.ceiling.models", 48);
  /** Rounds of 1 and of 2 workers of the machine ceiling: {@code -Dconvoy.bench.ceiling.rounds}. */
  private static final int CEILING_ROUNDS = Integer.getInteger("convoy.bench.ceiling.rounds", 3);
  /** Models in the uncounted warm-up zoo: {@code -Dconvoy.bench.warmup=N}, default 20. */
  private static final int WARMUP_MODELS = Integer.getInteger("convoy.bench.warmup", 20);

  /** Stage columns of the {@code models} table; latency is the rest of total_nanos. */
  private static final Map<String, String> STAGES = new java.util.LinkedHashMap<>();

  static {
    STAGES.put("convert", "convert_nanos");
    STAGES.put("partition", "partition_nanos");
    STAGES.put("optimize", "optimize_nanos");
    STAGES.put("stitch", "stitch_nanos");
    STAGES.put("verify", "verify_nanos");
    STAGES.put("write", "write_nanos");
    STAGES.put("latency", "total_nanos - convert_nanos - partition_nanos - optimize_nanos"
        + " - stitch_nanos - plan_memory_nanos - verify_nanos - write_nanos");
  }

  private ClusterZooBenchmark() {}

  /** One measured configuration. */
  record Figure(String runner, int workers, RunSummary warmup, RunSummary run,
      double stageSeconds, List<Long> rss, Map<String, Double> byStage, List<String> perWorker,
      List<String> cpu, List<String> threads) {}

  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println(
          "usage: ClusterZooBenchmark N SEED WORK_DIR [LEVEL [SCALE [ceiling,direct,flink]]]");
      System.exit(2);
    }
    int n = Integer.parseInt(args[0]);
    long seed = Long.parseLong(args[1]);
    Path work = Path.of(args[2]).toAbsolutePath();
    Level level = args.length > 3 ? Level.parse(args[3]) : Level.O2;
    int scale = args.length > 4 ? Integer.parseInt(args[4]) : 1;
    List<String> runners = List.of((args.length > 5 ? args[5] : "direct,flink").split(","));
    Path zoo = work.resolve("zoo-" + n + "-" + seed + "-x" + scale);
    if (!Files.isDirectory(zoo)) {
      SynthZoo.generate(n, seed, scale, zoo);
    }
    Path warm = work.resolve("warmup-" + WARMUP_MODELS + "-x" + scale);
    if (!Files.isDirectory(warm)) {
      SynthZoo.generate(WARMUP_MODELS, seed + 1, scale, warm);
    }
    String ceiling = runners.contains("ceiling")
        ? MachineCeiling.measure(zoo, CEILING_MODELS, level, CEILING_ROUNDS,
            work.resolve("ceiling"))
        : null;
    List<Figure> figures = new ArrayList<>();
    for (int w : new int[] {1, 2}) {
      if (runners.contains("direct")) {
        run(zoo, warm, work, level, Runner.DIRECT, w, null, "direct", 0, figures);
      }
    }
    // Two workers both ways: two single-slot TaskManagers (two JVMs, each compiling and
    // collecting for itself) and one TaskManager with two slots (one JVM, as the Direct runner).
    List<int[]> layouts = new ArrayList<>();
    for (String r : runners) {
      if (r.equals("flink")) {
        layouts.addAll(List.of(new int[] {1, 1}, new int[] {2, 1}, new int[] {1, 2}));
      } else if (r.startsWith("flink:")) {
        String[] txs = r.substring(6).split("x");
        layouts.add(new int[] {Integer.parseInt(txs[0]), Integer.parseInt(txs[1])});
      }
    }
    for (int[] layout : layouts) {
      int tms = layout[0];
      int slots = layout[1];
      Path dir = work.resolve("cluster-" + tms + "x" + slots);
      Thread stop = new Thread(() -> LocalCluster.stop(dir));
      Runtime.getRuntime().addShutdownHook(stop);
      String label = "flink " + tms + " TM x " + slots + " slot" + (slots > 1 ? "s" : "");
      try {
        LocalCluster c = LocalCluster.start(new LocalCluster.Spec(dir, template(), tms, slots,
            freePort(), freePort(), Map.of()));
        run(zoo, warm, work, level, Runner.FLINK_CLUSTER, tms * slots, c, label, tms, figures);
      } catch (RuntimeException e) {
        // One layout's failed job (on a loaded machine: a PartitionNotFoundException on every
        // attempt) should not lose the others' figures; its logs stay in the cluster folder.
        System.out.printf("%s: FAILED (%s); logs in %s%n", label, rootCause(e), dir.resolve("log"));
      } finally {
        LocalCluster.stop(dir);
        Runtime.getRuntime().removeShutdownHook(stop);
      }
    }
    print(n, level, scale, figures);
    if (ceiling != null) {
      System.out.printf("%nThe machine's ceiling: the same per-model work with no runner, %d models"
          + " of the zoo per pass, 1 worker against 2 (medians of %d rounds each)%n%n%s",
          CEILING_MODELS, CEILING_ROUNDS, ceiling);
    }
  }

  private static void run(Path zoo, Path warm, Path work, Level level, Runner runner, int w,
      LocalCluster c, String label, int tms, List<Figure> figures) throws Exception {
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true);
    String id = runner.flag() + "-" + w + "-" + tms;
    String master = c == null ? null : c.master();
    RunSummary warmup = ZooRun.run(RunConfig.of(warm, work.resolve("warmup-out"))
        .withRunId(id + "-warmup").withLevel(level), runner.execution(master, w, id), quiet);
    Map<String, Long> procs = new java.util.LinkedHashMap<>();
    procs.put("client", ProcessHandle.current().pid());
    if (c != null) {
      c.jobManager().ifPresent(h -> procs.put("JM", h.pid()));
      for (int i = 1; i <= tms; i++) {
        int tm = i;
        c.taskManager(i).ifPresent(h -> procs.put("TM" + tm, h.pid()));
      }
    }
    // A TaskManager's log is appended to by every cluster started in the same folder: only the
    // lines written during this run count.
    List<Long> logLines = new ArrayList<>();
    for (int i = 1; c != null && i <= tms; i++) {
      logLines.add(lineCount(c.dir().resolve("log/taskmanager-" + i + ".out")));
    }
    Map<String, JvmCpu> before = new java.util.LinkedHashMap<>();
    procs.forEach((name, pid) -> before.put(name, JvmCpu.of(pid)));
    RunSummary s = ZooRun.run(RunConfig.of(zoo, work.resolve("out")).withRunId(id)
        .withLevel(level), runner.execution(master, w, id), quiet);
    List<String> cpu = new ArrayList<>();
    List<String> threads = new ArrayList<>();
    procs.forEach((name, pid) -> {
      JvmCpu used = JvmCpu.of(pid).minus(before.get(name));
      cpu.add(name + " " + used);
      threads.add(name + ": " + used.top(THREAD_GROUPS));
    });
    List<Long> rss = new ArrayList<>();
    if (c == null) {
      rss.add(peakRss(ProcessHandle.current().pid()));
    } else {
      for (int i = 1; i <= tms; i++) {
        rss.add(c.taskManager(i).map(h -> peakRss(h.pid())).orElse(-1L));
      }
    }
    List<String> perWorker = new ArrayList<>();
    for (int i = 1; c != null && i <= tms; i++) {
      List<String> models = modelsLoggedBy(c.dir().resolve("log/taskmanager-" + i + ".out"), id,
          logLines.get(i - 1));
      perWorker.add(String.format("TM%d: %d models, %.1f s", i, models.size(),
          stageSeconds(s, models)));
    }
    Figure f = new Figure(label, w, warmup, s, stageSeconds(s, null), rss, byStage(s),
        perWorker, cpu, threads);
    figures.add(f);
    System.out.printf("%s, %d worker(s): %d ok, %d failed in %.1f s%n", label, w,
        s.modelsOk(), s.modelsFailed(), s.elapsedMillis() / 1e3);
  }

  private static void print(int n, Level level, int scale, List<Figure> figures) {
    System.out.printf("%nZoo throughput, synthetic zoo of %d models (scale %d) at %s%n%n", n,
        scale, level);
    System.out.println("| runner | workers | ok | failed | warm-up s (not counted) | wall s |"
        + " models/min | speed-up 1->2 | stage s (summed) | overhead |"
        + " peak RSS per worker (MiB) |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
    for (int i = 0; i < figures.size(); i++) {
      Figure f = figures.get(i);
      double wall = f.run().elapsedMillis() / 1e3;
      String kind = f.runner().split(" ")[0];
      String speedup = f.workers() == 1 ? "" : figures.stream()
          .filter(o -> o.workers() == 1 && o.runner().startsWith(kind)).findFirst()
          .map(o -> String.format("%.2fx", o.run().elapsedMillis() / 1e3 / wall)).orElse("");
      double overhead = wall * f.workers() / f.stageSeconds() - 1;
      System.out.printf("| %s | %d | %d | %d | %.1f | %.1f | %.1f | %s | %.1f | %.0f%% | %s |%n",
          f.runner(), f.workers(), f.run().modelsOk(), f.run().modelsFailed(),
          f.warmup().elapsedMillis() / 1e3, wall,
          f.run().modelsOk() * 60 / wall, speedup, f.stageSeconds(), overhead * 100,
          f.rss().stream().map(b -> String.valueOf(b / (1 << 20))).toList());
    }
    System.out.println("\nSummed stage seconds by stage; models and stage seconds per TaskManager;"
        + " CPU seconds of each JVM during the measured run (its JIT and GC threads apart)\n");
    System.out.println("| runner | workers | " + String.join(" | ", STAGES.keySet())
        + " | per TaskManager | CPU s per JVM |");
    System.out.println("|---|---|" + "---|".repeat(STAGES.size()) + "---|---|");
    for (Figure f : figures) {
      StringBuilder row = new StringBuilder("| " + f.runner() + " | " + f.workers() + " | ");
      f.byStage().values().forEach(v -> row.append(String.format("%.1f | ", v)));
      System.out.println(row + String.join("; ", f.perWorker()) + " | "
          + String.join("; ", f.cpu()) + " |");
    }
    System.out.println("\nCPU seconds of each JVM's busiest thread groups during the measured run"
        + " (names with numbers folded: where the CPU that is not the models' work goes)\n");
    System.out.println("| runner | workers | busiest thread groups (CPU s) |");
    System.out.println("|---|---|---|");
    for (Figure f : figures) {
      System.out.println("| " + f.runner() + " | " + f.workers() + " | "
          + String.join("; ", f.threads()) + " |");
    }
  }


  /**
   * Seconds of stage time (convert to latency probe) summed over the run's models, or over
   * {@code models} only when not null.
   */
  private static double stageSeconds(RunSummary s, List<String> models) throws Exception {
    String where = models == null ? "" : models.isEmpty() ? " WHERE false"
        : " WHERE model IN (" + String.join(",", models.stream()
            .map(m -> "'" + m.replace("'", "''") + "'").toList()) + ")";
    return query(s, "sum(total_nanos)", where) / 1e9;
  }

  private static Map<String, Double> byStage(RunSummary s) throws Exception {
    Map<String, Double> out = new java.util.LinkedHashMap<>();
    for (var e : STAGES.entrySet()) {
      out.put(e.getKey(), query(s, "sum(" + e.getValue() + ")", "") / 1e9);
    }
    return out;
  }

  private static long query(RunSummary s, String expr, String where) throws Exception {
    try (var c = DriverManager.getConnection("jdbc:duckdb:");
        var rs = c.createStatement().executeQuery("SELECT " + expr + " FROM read_parquet('"
            + s.warehouse().resolve("models") + "/run_id=" + s.runId() + "/*.parquet')" + where)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * Models a TaskManager finished in run {@code runId}: its one log line per model, after the
   * first {@code skip} lines of the log.
   */
  private static List<String> modelsLoggedBy(Path out, String runId, long skip)
      throws IOException {
    String prefix = "convoy run " + runId + ": ok ";
    List<String> models = new ArrayList<>();
    if (Files.isRegularFile(out)) {
      for (String line : Files.readAllLines(out).stream().skip(skip).toList()) {
        if (line.startsWith(prefix)) {
          models.add(line.substring(prefix.length()).split(" ", 2)[0]);
        }
      }
    }
    return models;
  }

  private static long lineCount(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      return 0;
    }
    try (var lines = Files.lines(file)) {
      return lines.count();
    }
  }

  private static String rootCause(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.toString();
  }

  /** VmHWM of a process (peak resident set), in bytes; -1 where /proc does not tell. */
  private static long peakRss(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
        }
      }
    } catch (IOException e) {
      return -1;
    }
    return -1;
  }

  /** The cluster's config template: {@code -Dconvoy.cluster.config}, else the project's. */
  private static Path template() {
    String given = System.getProperty("convoy.cluster.config");
    return given != null ? Path.of(given)
        : Path.of(System.getProperty("convoy.home", "."), "configs/flink/config.yaml");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
