package dev.convoy.pipeline.zoo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.convoy.ir.ConvoyException;
import dev.convoy.pipeline.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A zoo manifest: one row per model with {@code path} (or {@code file}), and optionally {@code
 * format}, {@code name}, {@code tags}, {@code input_shapes} and {@code weights} (a Caffe
 * prototxt's caffemodel when its stem differs). CSV (RFC 4180, header row; tags
 * separated by {@code ;}, shapes as {@code x=1x3x8x8;y=1x4}; a {@code kind} column becomes a tag)
 * or YAML (a list of such maps, or one under {@code models:}). Paths are relative to the
 * manifest's folder, or URIs of any Beam filesystem on the classpath ({@code scheme://...}). The
 * manifest itself may be on any such filesystem too; its relative paths then name files in its
 * folder there.
 */
final class Manifest {
  /** One manifest row before the file is looked at; paths are local or URIs. */
  record Entry(String path, String format, String name, List<String> tags,
      Map<String, List<Long>> inputShapes, String weights) {
    Entry(String path, String format, String name, List<String> tags,
        Map<String, List<Long>> inputShapes) {
      this(path, format, name, tags, inputShapes, null);
    }
  }

  private static final Pattern URI = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*://");

  private Manifest() {}

  static boolean isManifest(Path p) {
    return isManifest(p.getFileName().toString());
  }

  /** Whether the file at {@code location} (a local path or a URI) is a manifest, by its name. */
  static boolean isManifest(String location) {
    String n = Storage.fileName(location).toLowerCase(Locale.ROOT);
    return n.endsWith(".csv") || n.endsWith(".yaml") || n.endsWith(".yml");
  }

  static List<Entry> read(Path manifest) {
    return read(manifest.toString());
  }

  /** The rows of the manifest at {@code manifest}, a local path or a URI. */
  static List<Entry> read(String manifest) {
    try {
      byte[] content;
      if (Storage.isLocal(manifest)) {
        content = Files.readAllBytes(Storage.localPath(manifest).orElseThrow());
      } else {
        try (InputStream in = Storage.open(manifest)) {
          content = in.readAllBytes();
        }
      }
      String n = Storage.fileName(manifest).toLowerCase(Locale.ROOT);
      return n.endsWith(".csv") ? readCsv(manifest, content) : readYaml(manifest, content);
    } catch (IOException e) {
      throw new ConvoyException(manifest + ": cannot read manifest (" + e.getMessage() + ")", e);
    }
  }

  private static List<Entry> readCsv(String manifest, byte[] content) throws IOException {
    List<List<String>> rows = Csv.parse(StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(content)).toString());
    if (rows.isEmpty()) {
      return List.of();
    }
    Map<String, Integer> col = new HashMap<>();
    List<String> header = rows.get(0);
    for (int i = 0; i < header.size(); i++) {
      col.put(header.get(i).strip().toLowerCase(Locale.ROOT), i);
    }
    String pathCol = col.containsKey("path") ? "path" : "file";
    if (!col.containsKey(pathCol)) {
      throw new ConvoyException(manifest + ": header has neither a 'path' nor a 'file' column");
    }
    List<Entry> out = new ArrayList<>();
    for (int r = 1; r < rows.size(); r++) {
      List<String> row = rows.get(r);
      if (row.size() == 1 && row.get(0).isBlank()) {
        continue;
      }
      String where = manifest + " line " + (r + 1);
      String path = cell(row, col, pathCol);
      if (path == null || path.isBlank()) {
        throw new ConvoyException(where + ": empty " + pathCol);
      }
      List<String> tags = new ArrayList<>();
      String tagCell = cell(row, col, "tags");
      if (tagCell != null) {
        for (String t : tagCell.split(";")) {
          if (!t.isBlank()) {
            tags.add(t.strip());
          }
        }
      }
      String kind = cell(row, col, "kind");
      if (kind != null && !kind.isBlank()) {
        tags.add(kind.strip());
      }
      out.add(new Entry(sibling(manifest, path.strip(), where),
          blankToNull(cell(row, col, "format")), blankToNull(cell(row, col, "name")), tags,
          ShapeSpec.parseList(cell(row, col, "input_shapes"), where),
          weights(manifest, blankToNull(cell(row, col, "weights")), where)));
    }
    return out;
  }

  private static List<Entry> readYaml(String manifest, byte[] content) throws IOException {
    JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(content);
    if (root != null && root.has("models")) {
      root = root.get("models");
    }
    if (root == null || !root.isArray()) {
      throw new ConvoyException(manifest + ": expected a list of models (or 'models:' with one)");
    }
    List<Entry> out = new ArrayList<>();
    int i = 0;
    for (JsonNode m : root) {
      String where = manifest + " entry " + (++i);
      JsonNode path = m.has("path") ? m.get("path") : m.get("file");
      if (path == null || path.asText().isBlank()) {
        throw new ConvoyException(where + ": no 'path'");
      }
      List<String> tags = new ArrayList<>();
      if (m.has("tags")) {
        m.get("tags").forEach(t -> tags.add(t.asText()));
      }
      Map<String, List<Long>> shapes = new LinkedHashMap<>();
      JsonNode s = m.get("input_shapes");
      if (s != null) {
        for (var it = s.fields(); it.hasNext(); ) {
          var e = it.next();
          if (e.getValue().isArray()) {
            // Each element as written (asLong would take -3, 2.5 and "abc" as dimensions).
            List<Long> dims = new ArrayList<>();
            String shape = e.getKey() + "=" + e.getValue();
            e.getValue().forEach(d -> dims.add(ShapeSpec.parseDim(
                d.isValueNode() ? d.asText() : d.toString(), shape, where)));
            shapes.put(e.getKey(), dims);
          } else {
            shapes.put(e.getKey(), ShapeSpec.parseDims(e.getValue().asText(), where));
          }
        }
      }
      out.add(new Entry(sibling(manifest, path.asText(), where), text(m, "format"),
          text(m, "name"), tags, shapes, weights(manifest, text(m, "weights"), where)));
    }
    return out;
  }

  private static String weights(String manifest, String weights, String where) {
    return weights == null ? null : sibling(manifest, weights, where);
  }

  /**
   * {@code path} in the manifest's folder, or as it is when it is a URI ({@code scheme://});
   * one the file system cannot name is refused.
   */
  private static String sibling(String manifest, String path, String where) {
    if (URI.matcher(path).lookingAt()) {
      return path;
    }
    try {
      Optional<Path> local = Storage.localPath(manifest);
      if (local.isPresent()) {
        return local.get().resolveSibling(path).toAbsolutePath().normalize().toString();
      }
      return Storage.file(Storage.resource(manifest).getCurrentDirectory().toString(), path);
    } catch (InvalidPathException e) {
      throw new ConvoyException(where + ": invalid path '" + printable(path) + "' ("
          + e.getReason() + ")");
    } catch (IllegalArgumentException e) {
      throw new ConvoyException(where + ": invalid path '" + printable(path) + "' ("
          + e.getMessage() + ")");
    }
  }

  private static String printable(String path) {
    return path.replaceAll("\\p{Cntrl}", "?");
  }

  private static String text(JsonNode m, String field) {
    return m.has(field) ? blankToNull(m.get(field).asText()) : null;
  }

  private static String cell(List<String> row, Map<String, Integer> col, String name) {
    Integer i = col.get(name);
    return i == null || i >= row.size() ? null : row.get(i);
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }

  /** RFC 4180 reading: quoted fields may hold commas, newlines and doubled quotes. */
  static final class Csv {
    private Csv() {}

    static List<List<String>> parse(String text) {
      List<List<String>> rows = new ArrayList<>();
      List<String> row = new ArrayList<>();
      StringBuilder field = new StringBuilder();
      boolean quoted = false;
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        if (quoted) {
          if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
            field.append('"');
            i++;
          } else if (c == '"') {
            quoted = false;
          } else {
            field.append(c);
          }
        } else if (c == '"') {
          quoted = true;
        } else if (c == ',') {
          row.add(field.toString());
          field.setLength(0);
        } else if (c == '\n' || c == '\r') {
          if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
            i++;
          }
          row.add(field.toString());
          field.setLength(0);
          rows.add(row);
          row = new ArrayList<>();
        } else {
          field.append(c);
        }
      }
      if (field.length() > 0 || !row.isEmpty()) {
        row.add(field.toString());
        rows.add(row);
      }
      return rows;
    }
  }
}
