package dev.convoy.pipeline.zoo;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One model of a zoo as it travels through the pipeline: a reference to its file, never its
 * weights. {@code format} is what the content looks like ({@code onnx}, {@code cvy} or {@code
 * unknown}); {@code inputShapes} gives concrete shapes for inputs (from the manifest or the
 * {@code NAME.onnx.oracle.args} beside the model), an empty list meaning a scalar. {@code
 * weights} is the weights file of a model stored as two files (a Caffe prototxt's caffemodel)
 * when the manifest names it, else empty: the importer finds it by stem.
 */
public record ModelRef(
    String name,
    String path,
    String format,
    List<String> tags,
    Map<String, List<Long>> inputShapes,
    long sizeBytes,
    String weights) {

  public static final String UNKNOWN_FORMAT = "unknown";

  public ModelRef(String name, String path, String format, List<String> tags,
      Map<String, List<Long>> inputShapes, long sizeBytes) {
    this(name, path, format, tags, inputShapes, sizeBytes, "");
  }

  public ModelRef {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(weights, "weights");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(format, "format");
    tags = List.copyOf(tags);
    inputShapes = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(inputShapes));
  }

  /** The input shapes as the optimizer and verifier take them. */
  public Map<String, long[]> inputShapeArrays() {
    var out = new java.util.LinkedHashMap<String, long[]>();
    inputShapes.forEach((k, v) -> out.put(k, v.stream().mapToLong(Long::longValue).toArray()));
    return out;
  }
}
