package dev.convoy.pipeline.element;

import java.util.ArrayList;
import java.util.List;

/**
 * One piece of a partitioned model (the whole graph when it is small: index 0 of 1). A piece
 * whose optimization threw carries {@code errorClass} and {@code errorMessage} instead of failing
 * on its own, so that the stitch stage reports the model exactly once.
 */
public record Piece(ModelRun run, int index, int count, String blob, long nanos,
    List<PassRow> passes, String errorClass, String errorMessage) {

  public Piece {
    passes = List.copyOf(passes);
  }

  public static Piece of(ModelRun run, int index, int count, String blob) {
    return new Piece(run, index, count, blob, 0, List.of(), null, null);
  }

  public boolean failed() {
    return errorClass != null;
  }

  public Piece optimized(String newBlob, long tookNanos, List<PassRow> ran) {
    return new Piece(run, index, count, newBlob, tookNanos, new ArrayList<>(ran), null, null);
  }

  public Piece failedWith(Throwable e, long tookNanos) {
    Failure f = Failure.of(run.name(), run.ref().path(), Stage.OPTIMIZE.label(), e);
    return new Piece(run, index, count, blob, tookNanos, passes, f.errorClass(), f.message());
  }
}
