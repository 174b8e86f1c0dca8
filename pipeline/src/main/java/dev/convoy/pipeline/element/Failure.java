package dev.convoy.pipeline.element;

import java.util.Objects;

/**
 * A model that failed at one stage: what the {@code failures} table records. {@code errorClass}
 * is the simple name of the exception; {@code message} is its message (the file or node it names
 * and what was wrong).
 */
public record Failure(String model, String path, String stage, String errorClass, String message) {
  public Failure {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(stage, "stage");
    message = message == null ? "" : message;
  }

  /** The failure of {@code model} at {@code stage} with {@code error}. */
  public static Failure of(String model, String path, String stage, Throwable error) {
    String msg = error.getMessage();
    if (msg == null && error.getCause() != null) {
      msg = error.getCause().toString();
    }
    return new Failure(model, path, stage, error.getClass().getSimpleName(),
        msg == null ? error.toString() : msg);
  }
}
