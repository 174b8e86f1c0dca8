package dev.convoy.runners.cli;

import dev.convoy.ir.ConvoyException;
import dev.convoy.transforms.verify.OracleArgs;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Parses {@code --input-shape NAME=1x3x224x224} options ({@code NAME=scalar} for rank 0). */
final class InputShapes {
  private InputShapes() {}

  static Map<String, long[]> parse(List<String> specs) {
    Map<String, long[]> out = new LinkedHashMap<>();
    for (String spec : specs) {
      int eq = spec.indexOf('=');
      if (eq <= 0) {
        throw new ConvoyException("--input-shape '" + spec + "': expected NAME=D0xD1x...xDn");
      }
      out.put(spec.substring(0, eq), OracleArgs.parseShape("--input-shape '" + spec + "'",
          spec.substring(eq + 1)));
    }
    return out;
  }
}
