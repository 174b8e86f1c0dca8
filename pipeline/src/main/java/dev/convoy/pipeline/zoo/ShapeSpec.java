package dev.convoy.pipeline.zoo;

import dev.convoy.ir.ConvoyException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The input-shape notation of manifests and {@code .oracle.args} files: {@code NAME=1x3x224x224},
 * {@code NAME=scalar} for rank 0. The name is everything before the first {@code =}.
 */
final class ShapeSpec {
  private ShapeSpec() {}

  /** Parses one {@code NAME=DIMS} entry into {@code into}; {@code where} names the source. */
  static void parseEntry(String entry, Map<String, List<Long>> into, String where) {
    int eq = entry.indexOf('=');
    if (eq <= 0) {
      throw new ConvoyException(where + ": input shape '" + entry + "' is not NAME=D0xD1x...");
    }
    into.put(entry.substring(0, eq).trim(), parseDims(entry.substring(eq + 1).trim(), where));
  }

  static List<Long> parseDims(String dims, String where) {
    if (dims.equals("scalar")) {
      return List.of();
    }
    List<Long> out = new ArrayList<>();
    for (String d : dims.split("x", -1)) {
      out.add(parseDim(d, dims, where));
    }
    return out;
  }

  /** One dimension {@code d} of shape {@code shape}: a whole number, 0 or more. */
  static long parseDim(String d, String shape, String where) {
    try {
      long v = Long.parseLong(d.trim());
      if (v < 0) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw new ConvoyException(where + ": bad dimension '" + d + "' in shape '" + shape + "'");
    }
  }

  /** Entries separated by {@code ;} (a manifest cell); blank means none. */
  static Map<String, List<Long>> parseList(String cell, String where) {
    Map<String, List<Long>> out = new LinkedHashMap<>();
    if (cell == null) {
      return out;
    }
    for (String e : cell.split(";")) {
      if (!e.isBlank()) {
        parseEntry(e.trim(), out, where);
      }
    }
    return out;
  }

  /** The shapes of {@code model.oracle.args} beside {@code model}, or none when it is absent. */
  static Map<String, List<Long>> oracleArgsBeside(Path model) {
    Path args = model.resolveSibling(model.getFileName() + ".oracle.args");
    Map<String, List<Long>> out = new LinkedHashMap<>();
    if (!Files.isRegularFile(args)) {
      return out;
    }
    try {
      for (String line : Files.readAllLines(args)) {
        String t = line.strip();
        if (!t.isEmpty() && !t.startsWith("#")) {
          parseEntry(t, out, args.toString());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }
}
