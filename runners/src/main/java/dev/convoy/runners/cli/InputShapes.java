package dev.convoy.runners.cli;

import dev.convoy.ir.ConvoyException;
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
      if (eq <= 0 || eq == spec.length() - 1) {
        throw new ConvoyException(
            "--input-shape '" + spec + "': expected NAME=D0xD1x...xDn (or NAME=scalar)");
      }
      String name = spec.substring(0, eq);
      String dims = spec.substring(eq + 1);
      if (dims.equals("scalar")) {
        out.put(name, new long[0]);
        continue;
      }
      String[] parts = dims.split("x", -1);
      long[] shape = new long[parts.length];
      for (int i = 0; i < parts.length; i++) {
        try {
          shape[i] = Long.parseLong(parts[i]);
        } catch (NumberFormatException e) {
          shape[i] = -1;
        }
        if (shape[i] <= 0) {
          throw new ConvoyException(
              "--input-shape '" + spec + "': dimension '" + parts[i] + "' is not a positive integer");
        }
      }
      out.put(name, shape);
    }
    return out;
  }
}
