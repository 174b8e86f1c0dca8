package dev.convoy.pipeline.element;

/**
 * The numeric comparison of a model's result against its original on seeded inputs: a {@code
 * verifications} row. {@code oracle} says what ran the original (e.g. {@code ort}); {@code
 * verdict} is {@code pass}, {@code drift}, {@code runtime-drift}, {@code precision-drift} or {@code
 * fail} ({@code passed} is true for all but the last); for a mismatch, {@code firstNode} is the runtime drift that
 * explains it, or the first diverging node and its error (or why none was named), and {@code
 * culprit} the pass or rule that introduced the change, else empty.
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
