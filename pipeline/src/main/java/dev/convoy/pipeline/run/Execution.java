package dev.convoy.pipeline.run;

import java.util.Objects;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * How a run executes, as the {@code runners} module chose it: the Beam options that name the
 * runner and its settings, plus the runner's label and worker count as the {@code runs} table
 * records them, and where the console's progress comes from when the models run elsewhere. The
 * pipeline builds and runs its graph with these options and knows no runner class itself.
 */
public record Execution(PipelineOptions options, String runner, int parallelism,
    ProgressSource progress) {
  public Execution {
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(runner, "runner");
    Objects.requireNonNull(progress, "progress");
  }

  /** An execution whose models report their progress in this JVM. */
  public Execution(PipelineOptions options, String runner, int parallelism) {
    this(options, runner, parallelism, ProgressSource.NONE);
  }
}
