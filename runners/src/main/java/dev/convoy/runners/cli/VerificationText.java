package dev.convoy.runners.cli;

import dev.convoy.transforms.verify.OrtVerifier;

/** One-line summaries of a verification for the console. */
final class VerificationText {
  private VerificationText() {}

  static String summary(OrtVerifier.Verification v) {
    double maxAbs = 0;
    double maxRel = 0;
    double minCos = 1;
    for (OrtVerifier.OutputComparison c : v.outputs()) {
      maxAbs = Math.max(maxAbs, c.maxAbsError());
      maxRel = Math.max(maxRel, c.maxRelError());
      minCos = Math.min(minCos, c.cosine());
    }
    String figures = String.format("%d outputs, max abs error %.3g, max rel error %.3g, min cosine %.6f",
        v.outputs().size(), maxAbs, maxRel, minCos);
    return v.pass() ? "pass (" + figures + ")" : "FAIL (" + figures + "): " + v.firstFailure();
  }
}
