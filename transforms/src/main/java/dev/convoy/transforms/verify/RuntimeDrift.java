package dev.convoy.transforms.verify;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.transforms.verify.OrtVerifier.OutputComparison;
import dev.convoy.transforms.verify.OrtVerifier.Tolerance;
import java.util.Map;

/**
 * Why a result that runs in another runtime than its reference may disagree with it without any
 * fault of the optimizer: the two runtimes already disagree on the original itself. Three sides on
 * the same inputs: {@code ref} (the reference runtime on the original), {@code base} (the result's
 * runtime on the original) and {@code res} (the result's runtime on the result). A failing output
 * is explained when {@code res} matches {@code base} at the verification tolerance (the
 * optimization changed nothing measurable in its own runtime) and, element by element, {@code
 * |res - ref| <= |base - ref| + atol + rtol * |ref|} (the result is no further from the reference
 * than the original in the same runtime is, beyond the tolerance). The second condition is what
 * the tolerance alone would not give: {@code res} within tolerance of {@code base} could still add
 * up to a tolerance to every drifted element in the unlucky direction; this bounds the error the
 * optimization adds by the tolerance element by element. A NaN or infinity that stands against
 * anything else on any side, or a missing output or changed type or shape, is never drift.
 *
 * <p>The runtimes' own difference is bounded too: at most {@link #MAX_SHARE} of the output's
 * largest magnitude ({@code max |base - ref| <= MAX_SHARE * max |ref| + atol}). Without it a
 * kernel that computes an op wrongly in the result's runtime (the evaluator's opset-18
 * AveragePool divisor of session 5, 0.26-0.47 off) is wrong on the original and the result alike,
 * so the two conditions above hold and a wrong {@code .cvy} would pass as drift. Summation order
 * and quantization steps stay well inside: measured on the dev models, all-minilm-l6-v2-q
 * (DynamicQuantizeLinear before each MatMulInteger) differs by 0.0778 against a largest
 * magnitude of 5.62 (1.4%), yolox_nano by 2.1e-4 against 3.44 (0.006%).
 *
 * <p>{@code runtimeError} is the largest {@code |base - ref|} over the explained outputs, {@code
 * added} the largest {@code |res - ref| - |base - ref|} (0 when the result is nowhere further from
 * the reference), {@code ownError} the largest {@code |res - base|}; {@code float16Rounding} says
 * the drift was explained by {@link #explainHalf} (float16 rounding, kernels checked in float64).
 */
public record RuntimeDrift(Oracle oracle, double runtimeError, double added, double ownError,
    boolean float16Rounding) {
  /**
   * The largest runtime difference on the original accepted as drift, as a share of the output's
   * largest reference magnitude: 5%, about 3.6 times the largest measured (all-minilm-l6-v2-q).
   */
  public static final double MAX_SHARE = 0.05;

  /**
   * The drift that explains every failing output of {@code outputs}, or {@code null} when one is
   * not explained (or is not one of the seeded outputs the three maps hold, such as a recorded
   * reference set).
   */
  public static RuntimeDrift explain(Oracle oracle, OrtVerifier.Verification outputs,
      Map<String, Tensor> ref, Map<String, Tensor> base, Map<String, Tensor> res, Tolerance tol) {
    double runtimeError = 0;
    double added = 0;
    double ownError = 0;
    boolean any = false;
    for (OutputComparison failing : outputs.outputs()) {
      if (failing.pass()) {
        continue;
      }
      String name = failing.name();
      Tensor r = ref.get(name);
      Tensor b = base.get(name);
      Tensor s = res.get(name);
      if (r == null || b == null || s == null || failing.problem() != null) {
        return null;
      }
      OutputComparison baseVsRef = OrtVerifier.compareTensors(name, r, b, tol);
      OutputComparison resVsBase = OrtVerifier.compareTensors(name, b, s, tol);
      if (baseVsRef.problem() != null || !Double.isFinite(baseVsRef.maxAbsError())
          || !resVsBase.pass()
          || baseVsRef.maxAbsError() > MAX_SHARE * maxFiniteMagnitude(r) + tol.atol()) {
        return null;
      }
      double excess = excessOver(r.toDoubleArray(), b.toDoubleArray(), s.toDoubleArray(), tol);
      if (Double.isNaN(excess)) {
        return null;
      }
      any = true;
      runtimeError = Math.max(runtimeError, baseVsRef.maxAbsError());
      added = Math.max(added, excess);
      ownError = Math.max(ownError, resVsBase.maxAbsError());
    }
    return any ? new RuntimeDrift(oracle, runtimeError, added, ownError, false) : null;
  }

  /**
   * Four float16 steps at 1 ({@code 4 * 2^-10}) as rtol and atol: the resolution at which a float16
   * result computed another way (one fused op in float32 instead of several ops each rounded to
   * float16) can be held to the original.
   */
  public static final Tolerance HALF = new Tolerance(4.0 / 1024, 4.0 / 1024);

  /**
   * The drift that explains every failing float16 output of {@code outputs} by float16 rounding
   * alone, or {@code null}. ONNX Runtime runs float16 ops it has no float16 kernel for in float32
   * between Casts it inserts; Convoy's evaluator rounds every op's output to float16, as the ops'
   * types say. On a normalization over nearly equal values the two differ by up to 0.33 on the
   * original itself (transformer-90823), beyond {@link #MAX_SHARE}. Such a difference is rounding,
   * not a wrong kernel, when the result's runtime computes the original widened to float64 ({@code
   * baseExact}) as the reference runtime does ({@code exact}) within the default tolerance: its
   * kernels are right on this model, only float16 rounds differently. The optimization is then
   * held to adding no error in its own runtime: element by element {@code |res - exact| <= |base -
   * exact| + } {@link #HALF} (the result no further from the float64 answer than the original in
   * the same runtime, beyond four float16 steps). Non-float16 failing outputs, NaN or infinity
   * mismatches, missing outputs and changed types or shapes are never explained here.
   */
  public static RuntimeDrift explainHalf(Oracle oracle, OrtVerifier.Verification outputs,
      Map<String, Tensor> ref, Map<String, Tensor> base, Map<String, Tensor> res,
      Map<String, Tensor> exact, Map<String, Tensor> baseExact) {
    double runtimeError = 0;
    double added = 0;
    double ownError = 0;
    boolean any = false;
    for (OutputComparison failing : outputs.outputs()) {
      if (failing.pass()) {
        continue;
      }
      String name = failing.name();
      Tensor r = ref.get(name);
      Tensor b = base.get(name);
      Tensor s = res.get(name);
      Tensor e = exact.get(name);
      Tensor be = baseExact.get(name);
      if (r == null || b == null || s == null || e == null || be == null
          || failing.problem() != null || r.dtype() != DType.FLOAT16
          || !OrtVerifier.compareTensors(name, e, be, Tolerance.DEFAULT).pass()) {
        return null;
      }
      double[] x = e.toDoubleArray();
      double[] bv = b.toDoubleArray();
      double[] sv = s.toDoubleArray();
      double[] rv = r.toDoubleArray();
      if (x.length != bv.length || x.length != sv.length || x.length != rv.length) {
        return null;
      }
      for (int i = 0; i < x.length; i++) {
        if (!Double.isFinite(x[i]) || !Double.isFinite(bv[i]) || !Double.isFinite(sv[i])
            || !Double.isFinite(rv[i])) {
          if (Double.compare(sv[i], rv[i]) != 0) {
            return null;
          }
          continue;
        }
        double over = Math.abs(sv[i] - x[i]) - Math.abs(bv[i] - x[i]);
        if (over > HALF.atol() + HALF.rtol() * Math.abs(x[i])) {
          return null;
        }
        runtimeError = Math.max(runtimeError, Math.abs(bv[i] - rv[i]));
        added = Math.max(added, over);
        ownError = Math.max(ownError, Math.abs(sv[i] - bv[i]));
      }
      any = true;
    }
    return any ? new RuntimeDrift(oracle, runtimeError, added, ownError, true) : null;
  }

  /**
   * The largest {@code |s - r| - |b - r|} (at least 0), or NaN when some element exceeds {@code
   * |b - r| + atol + rtol * |r|}. Non-finite elements were matched exactly by the callers'
   * comparisons (a NaN only against a NaN, an infinity only against itself) and are skipped.
   */
  private static double excessOver(double[] r, double[] b, double[] s, Tolerance tol) {
    if (r.length != b.length || r.length != s.length) {
      return Double.NaN;
    }
    double worst = 0;
    for (int i = 0; i < r.length; i++) {
      if (!Double.isFinite(r[i]) || !Double.isFinite(s[i]) || !Double.isFinite(b[i])) {
        continue;
      }
      double over = Math.abs(s[i] - r[i]) - Math.abs(b[i] - r[i]);
      if (over > tol.atol() + tol.rtol() * Math.abs(r[i])) {
        return Double.NaN;
      }
      worst = Math.max(worst, over);
    }
    return worst;
  }

  /** The largest finite {@code |x|} of {@code t}. */
  private static double maxFiniteMagnitude(Tensor t) {
    double m = 0;
    for (double x : t.toDoubleArray()) {
      if (Double.isFinite(x)) {
        m = Math.max(m, Math.abs(x));
      }
    }
    return m;
  }

  /** The explanation, one clause, naming both runtimes and the three figures. */
  public String describe() {
    String candidate = oracle.candidate().displayName();
    return "runtime drift: " + candidate + " and " + oracle.reference().displayName()
        + " differ by " + figure(runtimeError) + " on the original itself; the optimized model"
        + " adds at most " + figure(added) + " (and differs from the original by at most "
        + figure(ownError) + " in " + candidate + ")"
        + (float16Rounding ? "; float16 rounding: both runtimes agree on the original in float64"
            + " and the optimized model is no further from that than the original" : "");
  }

  private static String figure(double x) {
    return x == 0 ? "0" : String.format("%.3g", x);
  }
}
