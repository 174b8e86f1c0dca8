package dev.convoy.pipeline.run;

import dev.convoy.pipeline.stage.Stages;
import java.util.Map;
import java.util.Optional;

/**
 * Where a run's progress comes from while its models run in other JVMs (a remote cluster, where
 * the workers' per-model ticks never reach this JVM): the run's counters in {@link
 * Stages#NAMESPACE}, as the runner reports them while the job runs. The {@code runners} module
 * provides one per runner that can; {@link #NONE} for the rest.
 */
@FunctionalInterface
public interface ProgressSource {
  /** No progress from outside this JVM. */
  ProgressSource NONE = Optional::empty;

  /** The run's counters so far by name, or empty while the runner has none to report. */
  Optional<Map<String, Long>> counters();
}
