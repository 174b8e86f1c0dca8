package dev.convoy.pipeline.run;

import dev.convoy.pipeline.element.Failure;
import dev.convoy.pipeline.element.ModelRun;
import org.apache.beam.sdk.transforms.DoFn;

/** The pipeline's last step: tells {@link Progress} about each finished or failed model. */
final class ProgressFn {
  private ProgressFn() {}

  static final class Done extends DoFn<ModelRun, Void> {
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
    }
  }

  static final class Failed extends DoFn<Failure, Void> {
    private final String runId;

    Failed(String runId) {
      this.runId = runId;
    }

    @ProcessElement
    public void process(@Element Failure f) {
      Progress.tick(runId, f.model(), false, "at " + f.stage() + ": " + f.errorClass());
    }
  }
}
