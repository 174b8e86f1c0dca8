package dev.convoy.pipeline;

import dev.convoy.pipeline.run.Execution;
import dev.convoy.pipeline.run.RunConfig;
import dev.convoy.pipeline.run.RunSummary;
import dev.convoy.pipeline.run.ZooRun;
import java.io.OutputStream;
import java.io.PrintStream;
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
}
