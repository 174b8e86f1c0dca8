package dev.convoy.transforms.optimize;

/**
 * What matching a rule at a node found: the match record the rewrite needs, or the reason the
 * rule does not apply there (which tests assert, so a rule that stops firing says why).
 */
public record Match<M>(M value, String reason) {
  public static <M> Match<M> of(M value) {
    return new Match<>(value, null);
  }

  public static <M> Match<M> fail(String reason) {
    return new Match<>(null, reason);
  }

  public boolean ok() {
    return reason == null;
  }

  /** The same failure, retyped for a caller that matches a larger pattern. */
  public <N> Match<N> cast() {
    if (ok()) {
      throw new IllegalStateException("not a failure");
    }
    return fail(reason);
  }
}
