package dev.convoy.pipeline.stage;

import dev.convoy.pipeline.element.Failure;
import dev.convoy.pipeline.element.Stage;
import dev.convoy.pipeline.zoo.ModelRef;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.TupleTag;

/**
 * A per-model stage: {@link #apply} does the work as a plain call into {@code transforms}; any
 * exception becomes a {@link Failure} on {@link Stages#FAILURES} and a counter, never a failed
 * bundle, so one bad model cannot stop the run.
 */
abstract class StageFn<I, O> extends DoFn<I, O> {
  private final Stage stage;
  private final TupleTag<O> ok;
  private final Counter failures = Metrics.counter(Stages.NAMESPACE, Stages.FAILED_COUNTER);
  private final Counter stageFailures;

  StageFn(Stage stage, TupleTag<O> ok) {
    this.stage = stage;
    this.ok = ok;
    this.stageFailures = Metrics.counter(Stages.NAMESPACE, "failed_at_" + stage.label());
  }

  /** The stage's work on one element; {@code null} emits nothing. */
  abstract O apply(I in) throws Exception;

  /** The model an element belongs to, for its failure row. */
  abstract ModelRef modelOf(I in);

  @ProcessElement
  public void process(@Element I in, MultiOutputReceiver out) {
    O result;
    try {
      result = apply(in);
    } catch (StageFailure e) {
      fail(out, e.failure());
      return;
    } catch (Exception | StackOverflowError e) {
      ModelRef ref = modelOf(in);
      fail(out, Failure.of(ref.name(), ref.path(), stage.label(), e));
      return;
    }
    if (result != null) {
      out.get(ok).output(result);
    }
  }

  private void fail(MultiOutputReceiver out, Failure f) {
    failures.inc();
    stageFailures.inc();
    out.get(Stages.FAILURES).output(f);
  }
}
