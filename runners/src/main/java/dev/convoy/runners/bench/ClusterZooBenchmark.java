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
 * <p>{@code java @runners/target/convoy.args dev.convoy.runners.bench.ClusterZooBenchmark N SEED
 * WORK_DIR [LEVEL [SCALE]]}
 */
public final class ClusterZooBenchmark {
  private static final int WARMUP_MODELS = 20;

  private ClusterZooBenchmark() {}

  /** One measured configuration. */
  record Figure(Runner runner, int workers, RunSummary warmup, RunSummary run,
      double stageSeconds, List<Long> rss) {}

  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: ClusterZooBenchmark N SEED WORK_DIR [LEVEL [SCALE]]");
      System.exit(2);
    }
    int n = Integer.parseInt(args[0]);
    long seed = Long.parseLong(args[1]);
    Path work = Path.of(args[2]).toAbsolutePath();
    Level level = args.length > 3 ? Level.parse(args[3]) : Level.O2;
    int scale = args.length > 4 ? Integer.parseInt(args[4]) : 1;
    Path zoo = work.resolve("zoo-" + n + "-" + seed + "-x" + scale);
    if (!Files.isDirectory(zoo)) {
      SynthZoo.generate(n, seed, scale, zoo);
    }
    Path warm = work.resolve("warmup-x" + scale);
    if (!Files.isDirectory(warm)) {
      SynthZoo.generate(WARMUP_MODELS, seed + 1, scale, warm);
    }
    List<Figure> figures = new ArrayList<>();
    for (int w : new int[] {1, 2}) {
      run(zoo, warm, work, level, Runner.DIRECT, w, null, figures);
    }
    for (int w : new int[] {1, 2}) {
      Path dir = work.resolve("cluster-" + w);
      Thread stop = new Thread(() -> LocalCluster.stop(dir));
      Runtime.getRuntime().addShutdownHook(stop);
      try {
        LocalCluster c = LocalCluster.start(new LocalCluster.Spec(dir,
            Path.of(System.getProperty("convoy.home", "."), "configs/flink/config.yaml"), w, 1,
            freePort(), freePort(), Map.of()), LocalCluster.classpathWithoutConvoy());
        run(zoo, warm, work, level, Runner.FLINK_CLUSTER, w, c, figures);
      } finally {
        LocalCluster.stop(dir);
        Runtime.getRuntime().removeShutdownHook(stop);
      }
    }
    print(n, level, scale, figures);
  }

  private static void run(Path zoo, Path warm, Path work, Level level, Runner runner, int w,
      LocalCluster c, List<Figure> figures) throws Exception {
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true);
    String id = runner.flag() + "-" + w;
    String master = c == null ? null : c.master();
    RunSummary warmup = ZooRun.run(RunConfig.of(warm, work.resolve("warmup-out")).withRunId(id)
        .withLevel(level), runner.execution(master, w, id), quiet);
    RunSummary s = ZooRun.run(RunConfig.of(zoo, work.resolve("out")).withRunId(id)
        .withLevel(level), runner.execution(master, w, id), quiet);
    List<Long> rss = new ArrayList<>();
    if (c == null) {
      rss.add(peakRss(ProcessHandle.current().pid()));
    } else {
      for (int i = 1; i <= w; i++) {
        rss.add(c.taskManager(i).map(h -> peakRss(h.pid())).orElse(-1L));
      }
    }
    Figure f = new Figure(runner, w, warmup, s, stageSeconds(s), rss);
    figures.add(f);
    System.out.printf("%s %d worker(s): %d ok, %d failed in %.1f s%n", runner.flag(), w,
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
      String speedup = f.workers() == 2
          ? String.format("%.2fx", figures.get(i - 1).run().elapsedMillis() / 1e3 / wall) : "";
      double overhead = wall * f.workers() / f.stageSeconds() - 1;
      System.out.printf("| %s | %d | %d | %d | %.1f | %.1f | %.1f | %s | %.1f | %.0f%% | %s |%n",
          f.runner().flag(), f.workers(), f.run().modelsOk(), f.run().modelsFailed(),
          f.warmup().elapsedMillis() / 1e3, wall,
          f.run().modelsOk() * 60 / wall, speedup, f.stageSeconds(), overhead * 100,
          f.rss().stream().map(b -> String.valueOf(b / (1 << 20))).toList());
    }
  }

  /** Seconds of stage time (convert to write) summed over the run's models. */
  private static double stageSeconds(RunSummary s) throws Exception {
    try (var c = DriverManager.getConnection("jdbc:duckdb:");
        var rs = c.createStatement().executeQuery("SELECT sum(total_nanos) FROM read_parquet('"
            + s.warehouse().resolve("models") + "/run_id=" + s.runId() + "/*.parquet')")) {
      rs.next();
      return rs.getLong(1) / 1e9;
    }
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

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
