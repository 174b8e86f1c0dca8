package dev.convoy.runners.bench;

import dev.convoy.pipeline.run.RunConfig;
import dev.convoy.pipeline.run.RunSummary;
import dev.convoy.pipeline.run.ZooRun;
import dev.convoy.runners.runner.Runner;
import dev.convoy.transforms.optimize.Level;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Zoo throughput (models per minute, converted nodes per second) of whole pipeline runs on the
 * Direct runner with 1 and 2 workers and on embedded Flink with parallelism 1 and 2, measured in
 * one process after a warm-up run; with the speed-up from 1 to 2 and the pipeline's overhead
 * against the optimizer time summed over the models. A benchmark, not a test: it asserts nothing.
 *
 * <p>{@code java dev.convoy.runners.bench.ZooBenchmark ZOO [LEVEL] [WORK_DIR]}
 */
public final class ZooBenchmark {
  /** One measured configuration. */
  public record Figure(Runner runner, int parallelism, RunSummary run) {
    public double modelsPerMinute() {
      return run.modelsOk() * 60_000.0 / run.elapsedMillis();
    }

    public double nodesPerSecond() {
      return run.nodesConverted() * 1000.0 / run.elapsedMillis();
    }

    /** Wall time not spent in the optimizer (which the workers share). */
    public double overheadRatio() {
      return run.optimizeMillis() == 0 ? Double.NaN
          : (double) run.elapsedMillis() / run.optimizeMillis();
    }
  }

  private ZooBenchmark() {}

  /** Runs the four configurations over {@code zoo} at {@code level}, output under {@code work}. */
  public static List<Figure> measure(Path zoo, Level level, Path work, PrintStream out)
      throws IOException {
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true);
    out.println("warm-up run (not measured)...");
    run(zoo, level, work, "warmup", Runner.DIRECT, 2, quiet);
    List<Figure> figures = new ArrayList<>();
    for (Runner runner : List.of(Runner.DIRECT, Runner.FLINK_EMBEDDED)) {
      for (int p : new int[] {1, 2}) {
        RunSummary s = run(zoo, level, work, runner.flag() + "-" + p, runner, p, quiet);
        Figure f = new Figure(runner, p, s);
        figures.add(f);
        out.printf("%-6s p=%d: %d models (%d failed) in %.1f s: %.1f models/min, %.0f nodes/s;"
                + " optimizer %.1f s summed, wall/optimizer %.2f%n", runner.flag(), p, s.modelsOk(),
            s.modelsFailed(), s.elapsedMillis() / 1e3, f.modelsPerMinute(), f.nodesPerSecond(),
            s.optimizeMillis() / 1e3, f.overheadRatio());
        out.println("         stage time summed over models: " + stageSums(s));
      }
    }
    for (int i = 0; i < figures.size(); i += 2) {
      Figure one = figures.get(i);
      Figure two = figures.get(i + 1);
      out.printf("%s speed-up 1 -> 2 workers: %.2fx%n", one.runner().flag(),
          (double) one.run().elapsedMillis() / two.run().elapsedMillis());
    }
    return figures;
  }

  /** Seconds per stage summed over the run's models, from its warehouse rows. */
  static String stageSums(RunSummary s) {
    String src = "read_parquet('" + s.warehouse().resolve("models") + "/*/*.parquet',"
        + " hive_partitioning = true)";
    String[] stages = {"convert", "partition", "optimize", "stitch", "plan_memory", "verify",
        "write"};
    StringBuilder sql = new StringBuilder("SELECT ");
    for (int i = 0; i < stages.length; i++) {
      sql.append(i == 0 ? "" : ", ").append("sum(").append(stages[i]).append("_nanos)");
    }
    sql.append(" FROM ").append(src).append(" WHERE run_id = ?");
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        PreparedStatement st = c.prepareStatement(sql.toString())) {
      st.setString(1, s.runId());
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < stages.length; i++) {
          out.append(String.format("%s %.1f s  ", stages[i], rs.getLong(i + 1) / 1e9));
        }
        return out.toString().strip();
      }
    } catch (SQLException e) {
      return "(unavailable: " + e.getMessage() + ")";
    }
  }

  private static RunSummary run(Path zoo, Level level, Path work, String id, Runner runner,
      int parallelism, PrintStream console) {
    return ZooRun.run(RunConfig.of(zoo, work.resolve(id)).withRunId(id).withLevel(level),
        runner.execution(null, parallelism, id), console);
  }

  public static void main(String[] args) throws IOException {
    if (args.length < 1) {
      System.err.println("usage: ZooBenchmark ZOO [LEVEL] [WORK_DIR]");
      System.exit(2);
    }
    Path work = args.length > 2 ? Path.of(args[2]) : Files.createTempDirectory("convoy-bench");
    measure(Path.of(args[0]), args.length > 1 ? Level.parse(args[1]) : Level.O2, work, System.out);
  }
}
