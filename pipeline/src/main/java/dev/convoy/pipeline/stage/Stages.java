package dev.convoy.pipeline.stage;

import dev.convoy.pipeline.element.Failure;
import dev.convoy.pipeline.element.JsonCoder;
import dev.convoy.pipeline.element.ModelRun;
import dev.convoy.pipeline.element.Piece;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * What the stage composites share: the failures tag every one of them outputs on, counter names
 * and the element coders. A composite's output is a {@link PCollectionTuple} of its main tag
 * (e.g. {@link ConvertModels#CONVERTED}) and {@link #FAILURES}.
 */
public final class Stages {
  /** Beam metrics namespace of the pipeline's counters. */
  public static final String NAMESPACE = "convoy";
  /** Counter: models that failed at any stage (one per model). */
  public static final String FAILED_COUNTER = "models_failed";
  /** Counter: models whose artifacts were written. */
  public static final String DONE_COUNTER = "models_written";
  /** Counter: written models whose result disagreed with the original on the seeded inputs. */
  public static final String MISMATCH_COUNTER = "verification_mismatches";
  /**
   * Counter: written models whose result differed from the original only by drift (quantization
   * or runtime), accepted and flagged.
   */
  public static final String DRIFT_COUNTER = "verification_drifts";
  /** Counter: nodes of the converted models that were written. */
  public static final String NODES_COUNTER = "nodes_converted";
  /** Counter: optimizer time (ms) summed over pieces and boundary passes. */
  public static final String OPTIMIZE_MS_COUNTER = "optimize_ms";

  public static final TupleTag<Failure> FAILURES = new TupleTag<>("failures") {};

  public static final Coder<ModelRun> RUN_CODER = JsonCoder.of(ModelRun.class);
  public static final Coder<Piece> PIECE_CODER = JsonCoder.of(Piece.class);
  public static final Coder<Failure> FAILURE_CODER = JsonCoder.of(Failure.class);

  private Stages() {}

  /** Applies {@code fn} with its main output {@code ok} and {@link #FAILURES}, coders set. */
  static <I, O> PCollectionTuple apply(PCollection<I> input, String name, DoFn<I, O> fn,
      TupleTag<O> ok, Coder<O> coder) {
    PCollectionTuple out =
        input.apply(name, ParDo.of(fn).withOutputTags(ok, TupleTagList.of(FAILURES)));
    out.get(ok).setCoder(coder);
    out.get(FAILURES).setCoder(FAILURE_CODER);
    return out;
  }

  /** Base of the per-model composites (PCollection in, tuple of results and failures out). */
  abstract static class Composite<I> extends PTransform<PCollection<I>, PCollectionTuple> {
    Composite(String name) {
      super(name);
    }
  }
}
