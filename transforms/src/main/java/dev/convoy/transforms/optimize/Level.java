package dev.convoy.transforms.optimize;

/**
 * Optimization levels. {@code O0} converts only; {@code O1} adds semantics-preserving basics
 * (shape inference, constant folding, redundant-node elimination, dead code, CSE); {@code O2} adds
 * operator fusion, replacement and forward-moving; {@code O3} adds data-layout conversion and
 * memory planning.
 */
public enum Level {
  O0,
  O1,
  O2,
  O3;

  public static Level parse(String s) {
    try {
      return valueOf(s.toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new dev.convoy.ir.ConvoyException(
          "unknown optimization level '" + s + "' (expected O0, O1, O2 or O3)");
    }
  }
}
