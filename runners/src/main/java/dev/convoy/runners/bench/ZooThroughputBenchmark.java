package dev.convoy.runners.bench;

import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.verify.OracleArgs;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Zoo throughput of {@code convoy run} over the given models: Direct and embedded Flink, 1 and 2
 * workers, in one run, as a table (models/min, nodes/s, wall time over summed optimizer time).
 */
public final class ZooThroughputBenchmark {
  private ZooThroughputBenchmark() {}

  public static BenchTable run(List<Path> models, Level level, PrintStream progress)
      throws IOException {
    Path work = Files.createTempDirectory("convoy-zoo-bench");
    Path zoo = Files.createDirectories(work.resolve("zoo"));
    for (Path m : models) {
      Files.createSymbolicLink(zoo.resolve(m.getFileName()), m.toAbsolutePath());
      Path args = OracleArgs.fileFor(m);
      if (Files.isRegularFile(args)) {
        Files.createSymbolicLink(zoo.resolve(args.getFileName()), args.toAbsolutePath());
      }
    }
    List<ZooBenchmark.Figure> figures = ZooBenchmark.measure(zoo, level, work.resolve("runs"), progress);
    BenchTable t = new BenchTable("Zoo throughput, " + models.size() + " models at " + level,
        "runner", "workers", "ok", "failed", "wall s", "models/min", "nodes/s",
        "optimizer s (summed)", "wall / optimizer", "speed-up vs 1 worker");
    double base = Double.NaN;
    for (ZooBenchmark.Figure f : figures) {
      if (f.parallelism() == 1) {
        base = f.run().elapsedMillis();
      }
      t.row(f.runner().flag(), f.parallelism(), f.run().modelsOk(), f.run().modelsFailed(),
          f.run().elapsedMillis() / 1e3, f.modelsPerMinute(), f.nodesPerSecond(),
          f.run().optimizeMillis() / 1e3, f.overheadRatio(), base / f.run().elapsedMillis());
    }
    return t.note("One warm-up run first. Flink runs on an embedded local cluster. wall / optimizer"
        + " compares the run's wall time with the optimizer time summed over models: the pipeline's"
        + " own overhead (conversion, verification, writing, Beam) is what exceeds 1 per worker.");
  }
}
