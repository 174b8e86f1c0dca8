package dev.convoy.pipeline.run;

import java.util.Objects;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * How a run executes, as the {@code runners} module chose it: the Beam options that name the
 * runner and its settings, plus the runner's label and worker count as the {@code runs} table
 * records them. The pipeline builds and runs its graph with these options and knows no runner
 * class itself.
 */
public record Execution(PipelineOptions options, String runner, int parallelism) {
  public Execution {
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(runner, "runner");
  }
}
