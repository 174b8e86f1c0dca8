package dev.convoy.pipeline.query;

import dev.convoy.ir.ConvoyException;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * How much worse run B may be than run A before {@link Compare} calls it a regression; read from
 * {@code configs/regression.properties} (keys as in that file; missing keys keep the defaults).
 */
public record Thresholds(double nodesIncreasePct, double sizeIncreasePct,
    double maxAbsErrorIncrease, double timeIncreasePct, long timeMinDeltaMs,
    double latencyIncreasePct, double latencyMinDeltaMs) {

  public static final Thresholds DEFAULTS = new Thresholds(0, 1.0, 1e-4, 100, 2000, 25, 5);

  /** The thresholds in {@code file}; the defaults when {@code file} is {@code null}. */
  public static Thresholds load(Path file) {
    if (file == null) {
      return DEFAULTS;
    }
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
    } catch (IOException e) {
      throw new ConvoyException(file + ": cannot read thresholds (" + e.getMessage() + ")", e);
    }
    try {
      return new Thresholds(
          num(p, "nodes.max_increase_pct", DEFAULTS.nodesIncreasePct),
          num(p, "size.max_increase_pct", DEFAULTS.sizeIncreasePct),
          num(p, "verify.max_abs_error_increase", DEFAULTS.maxAbsErrorIncrease),
          num(p, "time.max_increase_pct", DEFAULTS.timeIncreasePct),
          (long) num(p, "time.min_delta_ms", DEFAULTS.timeMinDeltaMs),
          num(p, "latency.max_increase_pct", DEFAULTS.latencyIncreasePct),
          num(p, "latency.min_delta_ms", DEFAULTS.latencyMinDeltaMs));
    } catch (NumberFormatException e) {
      throw new ConvoyException(file + ": " + e.getMessage());
    }
  }

  private static double num(Properties p, String key, double dflt) {
    String v = p.getProperty(key);
    if (v == null) {
      return dflt;
    }
    try {
      return Double.parseDouble(v.strip());
    } catch (NumberFormatException e) {
      throw new NumberFormatException(key + " = '" + v + "' is not a number");
    }
  }
}
