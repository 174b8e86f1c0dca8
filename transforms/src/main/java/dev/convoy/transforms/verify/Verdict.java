package dev.convoy.transforms.verify;

/**
 * The outcome of verifying a result against its original: {@code PASS} every output within
 * tolerance; {@code DRIFT} outputs differ, but the first diverging node is a quantize op whose
 * float inputs agree, moved by one quantization step (float noise amplified by rounding); {@code
 * FAIL} anything else, and always when a NaN or infinity stands against anything else.
 */
public enum Verdict {
  PASS,
  DRIFT,
  FAIL;

  /** The lower-case name used in reports and the warehouse. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
