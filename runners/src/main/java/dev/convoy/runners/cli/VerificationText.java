package dev.convoy.runners.cli;

import dev.convoy.transforms.verify.OrtVerifier;

/** One-line summaries of a verification for the console. */
final class VerificationText {
  private VerificationText() {}

  static String summary(OrtVerifier.Verification v) {
    String figures = String.format("%d outputs, max abs error %.3g, max rel error %.3g, min cosine %.6f",
        v.outputs().size(), v.maxAbsError(), v.maxRelError(), v.minCosine());
    return v.pass() ? "pass (" + figures + ")" : "FAIL (" + figures + "): " + v.firstFailure();
  }
}
