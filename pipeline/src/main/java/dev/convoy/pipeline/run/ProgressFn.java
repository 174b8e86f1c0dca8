package dev.convoy.pipeline.run;

import dev.convoy.pipeline.element.Failure;
import dev.convoy.pipeline.element.ModelRun;
import dev.convoy.pipeline.stage.Stages;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;

/**
 * The pipeline's last step: tells {@link Progress} about each finished or failed model, and
 * counts them ({@link #FINISHED}, {@link #FAILED}) for a console that follows a run on workers
 * in other JVMs through its counters.
 */
final class ProgressFn {
  /** Models that passed every stage, counted at the last one (the write counter comes earlier). */
  static final String FINISHED = "progress_finished";
  /** Failures that reached the last step. */
  static final String FAILED = "progress_failed";

  private ProgressFn() {}

  static final class Done extends DoFn<ModelRun, Void> {
    private final Counter finished = Metrics.counter(Stages.NAMESPACE, FINISHED);
    private final String runId;

    Done(String runId) {
      this.runId = runId;
    }

    @ProcessElement
    public void process(@Element ModelRun r) {
      String v = r.verification() == null ? ""
          : !r.verification().passed() ? ", VERIFICATION MISMATCH"
          : r.verification().verdict().equals("pass") || r.verification().verdict().isEmpty()
              ? ", verified" : ", verified with " + r.verification().verdict().replace('-', ' ');
      String nodes = r.before().nodes() + " -> " + (r.after() == null ? "?" : r.after().nodes())
          + " nodes" + v;
      Progress.tick(runId, r.name(), true, nodes);
      finished.inc();
    }
  }

  static final class Failed extends DoFn<Failure, Void> {
    private final Counter failed = Metrics.counter(Stages.NAMESPACE, FAILED);
    private final String runId;

    Failed(String runId) {
      this.runId = runId;
    }

    @ProcessElement
    public void process(@Element Failure f) {
      Progress.tick(runId, f.model(), false, "at " + f.stage() + ": " + f.errorClass());
      failed.inc();
    }
  }
}
