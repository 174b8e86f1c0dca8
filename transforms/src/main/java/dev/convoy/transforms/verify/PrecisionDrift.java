package dev.convoy.transforms.verify;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.transforms.verify.OrtVerifier.OutputComparison;
import dev.convoy.transforms.verify.OrtVerifier.Tolerance;
import java.util.Map;

/**
 * Why a float32 result may miss the verification tolerance without being any less right than the
 * original: the original itself, computed in float32 by the reference runtime, is that far from
 * its exact value. Normalizations over a few nearly equal values (a LayerNorm over 3-8 values
 * with epsilon 1e-12, or epsilon outside the root) divide float32 rounding by a tiny deviation;
 * summing in another order (a fused kernel, a reassociated GEMM) then moves the output by more
 * than rtol 1e-4 while both orders are equally good approximations. Measured on the differential
 * tester's transformer-43695: ONNX Runtime on the original is 1.03e-3 from the float64 answer,
 * the O2 {@code .cvy} 2.1e-4.
 *
 * <p>Four sides on the same inputs: {@code exact} (the reference runtime on the original widened to
 * float64 by {@link Float64Model}), {@code ref} (the reference runtime on the original), {@code
 * res} (the result). A failing output is explained when, element by element, {@code |res - exact|
 * <= |ref - exact| + atol + rtol * |exact|}: the result is no further from the exact answer than
 * the reference's own answer is, beyond the tolerance (for a float16 output, four float16 steps,
 * {@link RuntimeDrift#HALF}: its own rounding is 2^-11 of its magnitude). A wrong result is far from the exact answer
 * wherever the original is not, so it is not explained; the exact answer comes from the reference
 * runtime (ONNX Runtime for an ONNX original), never from the runtime under test. Only float32 and
 * float16 outputs; a NaN or infinity in the result or the reference that the other does not hold
 * in the same place, or a missing output or changed type or shape, is never precision drift.
 *
 * <p>{@code refError} is the largest {@code |ref - exact|} over the explained outputs, {@code
 * resError} the largest {@code |res - exact|}.
 */
public record PrecisionDrift(double refError, double resError) {
  /**
   * The drift that explains every failing output of {@code outputs}, or {@code null} when one is
   * not explained.
   */
  public static PrecisionDrift explain(OrtVerifier.Verification outputs, Map<String, Tensor> exact,
      Map<String, Tensor> ref, Map<String, Tensor> res, Tolerance tol) {
    double refError = 0;
    double resError = 0;
    boolean any = false;
    for (OutputComparison failing : outputs.outputs()) {
      if (failing.pass()) {
        continue;
      }
      Tensor e = exact.get(failing.name());
      Tensor r = ref.get(failing.name());
      Tensor s = res.get(failing.name());
      if (e == null || r == null || s == null || failing.problem() != null
          || !(r.dtype() == DType.FLOAT || r.dtype() == DType.FLOAT16)) {
        return null;
      }
      // A float16 output cannot be held closer than its own steps: four of them (RuntimeDrift.HALF).
      Tolerance t = r.dtype() == DType.FLOAT16 ? RuntimeDrift.HALF : tol;
      double[] x = e.toDoubleArray();
      double[] a = r.toDoubleArray();
      double[] b = s.toDoubleArray();
      if (x.length != a.length || x.length != b.length) {
        return null;
      }
      for (int i = 0; i < x.length; i++) {
        if (!Double.isFinite(x[i]) || !Double.isFinite(a[i]) || !Double.isFinite(b[i])) {
          if (Double.compare(a[i], b[i]) != 0) {
            return null;
          }
          continue;
        }
        double refOff = Math.abs(a[i] - x[i]);
        double resOff = Math.abs(b[i] - x[i]);
        if (resOff > refOff + t.atol() + t.rtol() * Math.abs(x[i])) {
          return null;
        }
        refError = Math.max(refError, refOff);
        resError = Math.max(resError, resOff);
      }
      any = true;
    }
    return any ? new PrecisionDrift(refError, resError) : null;
  }

  /** The explanation, one clause, with both figures. */
  public String describe() {
    return String.format("precision drift: the original computed in float32 is %.3g from its"
        + " float64 value and the optimized model %.3g (no further, element by element, beyond the"
        + " tolerance)", refError, resError);
  }
}
