package dev.convoy.transforms.verify;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.InvalidModelException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The concrete input shapes of a model with dynamic dimensions, read from {@code
 * NAME.onnx.oracle.args} beside {@code NAME.onnx}: one {@code NAME=D0xD1x...} line per real graph
 * input ({@code NAME=scalar} for rank 0), in graph-input order, with {@code #} comments and blank
 * lines allowed. The input name is everything before the first {@code =}.
 *
 * @param shapes input name to dimensions, in file order (empty when the model has no such file)
 */
public record OracleArgs(Map<String, long[]> shapes) {
  public OracleArgs {
    shapes = Collections.unmodifiableMap(new LinkedHashMap<>(shapes));
  }

  public static final OracleArgs NONE = new OracleArgs(Map.of());

  /** The path of the oracle-args file that belongs to {@code modelFile}. */
  public static Path fileFor(Path modelFile) {
    return modelFile.resolveSibling(modelFile.getFileName() + ".oracle.args");
  }

  /** The shapes for {@code modelFile}, or {@link #NONE} when it has no oracle-args file. */
  public static OracleArgs read(Path modelFile) {
    Path file = fileFor(modelFile);
    if (!Files.isRegularFile(file)) {
      return NONE;
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (IOException e) {
      throw new ConvoyException(file + ": cannot read (" + e.getMessage() + ")", e);
    }
    Map<String, long[]> shapes = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String where = file + ":" + (i + 1);
      int eq = line.indexOf('=');
      if (eq <= 0) {
        throw new InvalidModelException(where + ": expected NAME=D0xD1x... but found '" + line + "'");
      }
      String name = line.substring(0, eq);
      if (shapes.put(name, parseShape(where, line.substring(eq + 1))) != null) {
        throw new InvalidModelException(where + ": input '" + name + "' is given twice");
      }
    }
    return new OracleArgs(shapes);
  }

  /** Parses {@code 1x3x224x224} or {@code scalar}. */
  public static long[] parseShape(String where, String text) {
    String s = text.strip();
    if (s.equals("scalar")) {
      return new long[0];
    }
    String[] parts = s.split("x", -1);
    long[] dims = new long[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        dims[i] = Long.parseLong(parts[i]);
      } catch (NumberFormatException e) {
        dims[i] = -1;
      }
      if (dims[i] <= 0 || !parts[i].chars().allMatch(Character::isDigit)) {
        throw new InvalidModelException(
            where + ": dimension '" + parts[i] + "' of shape '" + s + "' is not a positive integer");
      }
    }
    return dims;
  }

  public boolean isEmpty() {
    return shapes.isEmpty();
  }
}
