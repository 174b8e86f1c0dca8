package dev.convoy.transforms.verify;

/**
 * The outcome of verifying a result against its original: {@code PASS} every output within
 * tolerance; {@code DRIFT} outputs differ, but the first diverging node is a quantize op whose
 * float inputs agree, moved by one quantization step (float noise amplified by rounding); {@code
 * RUNTIME_DRIFT} outputs differ only as much as the result's runtime already differs from the
 * reference's on the original itself ({@link RuntimeDrift}); {@code PRECISION_DRIFT} a float
 * output is no further from the original's float64 value than the reference's own float32 answer
 * ({@link PrecisionDrift}); {@code FAIL} anything else, and always when a NaN or infinity stands
 * against anything else. The drifts are accepted (exit 0) and reported as such.
 */
public enum Verdict {
  PASS,
  DRIFT,
  RUNTIME_DRIFT,
  PRECISION_DRIFT,
  FAIL;

  /** The lower-case name used in reports and the warehouse ({@code runtime-drift}). */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }
}
