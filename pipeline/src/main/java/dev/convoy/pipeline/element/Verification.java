package dev.convoy.pipeline.element;

/**
 * The numeric comparison of a model's result against its original on seeded inputs: a {@code
 * verifications} row. {@code oracle} says what ran the original (e.g. {@code ort}); {@code
 * verdict} is {@code pass}, {@code drift} or {@code fail} ({@code passed} is true for the first
 * two); for a mismatch, {@code firstNode} is the first diverging node and its error (or why none
 * was named) and {@code culprit} the pass or rule that introduced the change, else empty.
 */
public record Verification(String oracle, double maxAbsError, double maxRelError, double cosine,
    boolean passed, String detail, String verdict, String firstNode, String culprit) {

  /** A comparison without an explanation: pass or fail by {@code passed}. */
  public Verification(String oracle, double maxAbsError, double maxRelError, double cosine,
      boolean passed, String detail) {
    this(oracle, maxAbsError, maxRelError, cosine, passed, detail, passed ? "pass" : "fail", "",
        "");
  }
}
