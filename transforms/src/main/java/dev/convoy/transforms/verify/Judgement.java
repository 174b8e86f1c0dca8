package dev.convoy.transforms.verify;

import dev.convoy.transforms.verify.NodeByNode.Divergence;
import dev.convoy.transforms.verify.NodeByNode.Localization;
import java.util.function.Supplier;

/**
 * A verification that explains itself: the output comparison, the {@link Verdict}, and when the
 * outputs differ either the precision or runtime drift that explains them or the first diverging node (from
 * {@link NodeByNode}) and the pass or rule that introduced it (from the verify-each-pass bisect).
 * {@code drift}, {@code precision}, {@code divergence}, {@code culprit} and {@code note} are null when not known;
 * {@code note} says why the node was not found.
 */
public record Judgement(
    Verdict verdict,
    OrtVerifier.Verification outputs,
    RuntimeDrift drift,
    PrecisionDrift precision,
    Divergence divergence,
    String culprit,
    String note) {

  /** Judges {@code outputs} of two sides that run in the same runtime (no runtime drift). */
  public static Judgement of(
      OrtVerifier.Verification outputs, Supplier<Localization> localize, Supplier<String> bisect) {
    return of(outputs, () -> null, () -> null, localize, bisect);
  }

  /** Judges {@code outputs} with no precision explanation asked (see the full form). */
  public static Judgement of(OrtVerifier.Verification outputs, Supplier<RuntimeDrift> drift,
      Supplier<Localization> localize, Supplier<String> bisect) {
    return of(outputs, () -> null, drift, localize, bisect);
  }

  /**
   * Judges {@code outputs}. Only when they differ are {@code precision} (the precision drift that
   * explains them, or null), then {@code drift} (the runtime drift that
   * explains them, or null), then, when neither explains them, {@code localize} (the node-by-node
   * comparison) and {@code bisect} (the culprit pass or rule, or null) asked: all re-run models.
   * A non-finite mismatch in any output fails whatever the node; quantization drift needs the
   * first diverging node to be a quantize op moved by one step on agreeing float inputs.
   */
  public static Judgement of(OrtVerifier.Verification outputs,
      Supplier<PrecisionDrift> precision, Supplier<RuntimeDrift> drift,
      Supplier<Localization> localize, Supplier<String> bisect) {
    if (outputs.pass()) {
      return new Judgement(Verdict.PASS, outputs, null, null, null, null, null);
    }
    PrecisionDrift rounding = precision.get();
    if (rounding != null) {
      return new Judgement(Verdict.PRECISION_DRIFT, outputs, null, rounding, null, null, null);
    }
    RuntimeDrift runtimes = drift.get();
    if (runtimes != null) {
      return new Judgement(Verdict.RUNTIME_DRIFT, outputs, runtimes, null, null, null, null);
    }
    Localization where = localize.get();
    Divergence d = where.divergence();
    boolean nonFinite = outputs.outputs().stream()
        .anyMatch(o -> o.problem() != null || Double.isInfinite(o.maxAbsError()));
    Verdict verdict = d != null && d.isQuantDrift() && !nonFinite ? Verdict.DRIFT : Verdict.FAIL;
    return new Judgement(verdict, outputs, null, null, d, bisect.get(), where.note());
  }

  /** Whether the result is accepted (pass, or drift shown as such). */
  public boolean accepted() {
    return verdict != Verdict.FAIL;
  }

  /**
   * The explanation beyond the figures: the runtime drift, the diverging node, or why none was
   * named.
   */
  public String where() {
    if (drift != null) {
      return drift.describe();
    }
    if (precision != null) {
      return precision.describe();
    }
    if (divergence != null) {
      return (divergence.isQuantDrift() ? "quantization drift at " : "first diverging ")
          + divergence.describe();
    }
    return note == null ? "" : note;
  }

  /** One line for the console: verdict, figures, output, node, culprit. */
  public String summary() {
    OrtVerifier.Verification v = outputs;
    String figures = String.format("%d outputs, max abs error %.3g, max rel error %.3g, min cosine %.6f",
        v.outputs().size(), v.maxAbsError(), v.maxRelError(), v.minCosine());
    if (verdict == Verdict.PASS) {
      return "pass (" + figures + ")";
    }
    StringBuilder s = new StringBuilder(verdict == Verdict.FAIL ? "FAIL" : verdict.label())
        .append(" (").append(figures).append("): ").append(v.firstFailure());
    String w = where();
    if (!w.isEmpty()) {
      s.append("; ").append(w);
    }
    if (culprit != null) {
      s.append("; ").append(culprit);
    }
    return s.toString();
  }
}
