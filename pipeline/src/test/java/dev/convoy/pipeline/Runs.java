package dev.convoy.pipeline;

import dev.convoy.ir.testing.TestData;
import dev.convoy.pipeline.run.Execution;
import dev.convoy.pipeline.run.RunConfig;
import dev.convoy.pipeline.run.RunSummary;
import dev.convoy.pipeline.run.ZooRun;
import dev.convoy.transforms.verify.OracleArgs;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/** Zoo runs for pipeline tests: the Direct runner (a test dependency here) with a few workers. */
public final class Runs {
  private Runs() {}

  /** The Direct runner with {@code workers} threads. */
  public static Execution direct(int workers) {
    DirectOptions o = PipelineOptionsFactory.as(DirectOptions.class);
    o.setRunner(DirectRunner.class);
    o.setTargetParallelism(workers);
    return new Execution(o, "direct", workers);
  }

  /** Runs {@code cfg} on the Direct runner with 2 workers, printing progress to {@code console}. */
  public static RunSummary direct(RunConfig cfg, PrintStream console) {
    return ZooRun.run(cfg, direct(2), console);
  }

  /** Runs {@code cfg} on the Direct runner with 2 workers, quietly. */
  public static RunSummary direct(RunConfig cfg) {
    return direct(cfg, new PrintStream(OutputStream.nullOutputStream()));
  }

  /**
   * A zoo folder {@code dir} holding the dev models {@code names} (without {@code .onnx}), each
   * with its oracle-args file when it has one.
   */
  public static Path devZoo(Path dir, List<String> names) throws IOException {
    Path zoo = Files.createDirectories(dir);
    for (String m : names) {
      Path src = TestData.devModels().resolve(m + ".onnx");
      Files.copy(src, zoo.resolve(src.getFileName()));
      if (Files.exists(OracleArgs.fileFor(src))) {
        Files.copy(OracleArgs.fileFor(src), OracleArgs.fileFor(zoo.resolve(src.getFileName())));
      }
    }
    return zoo;
  }
}
