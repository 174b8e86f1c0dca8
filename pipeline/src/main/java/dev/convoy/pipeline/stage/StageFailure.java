package dev.convoy.pipeline.stage;

import dev.convoy.pipeline.element.Failure;

/** Thrown by a stage that already knows the exact failure row to report (e.g. a failed piece). */
final class StageFailure extends Exception {
  private final transient Failure failure;

  StageFailure(Failure failure) {
    super(failure.message());
    this.failure = failure;
  }

  Failure failure() {
    return failure;
  }
}
