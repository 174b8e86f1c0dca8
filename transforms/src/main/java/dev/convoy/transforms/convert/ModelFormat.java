package dev.convoy.transforms.convert;

import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.format.CvyFormat;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The model formats Convoy reads and writes, and sniffing a file's format from its first bytes
 * (the extension is only a tie-breaker: a model renamed to {@code .bin} still loads).
 */
public enum ModelFormat {
  ONNX("onnx"),
  CVY("cvy"),
  /** A Caffe model: deploy prototxt (text) plus caffemodel (weights), read only. */
  CAFFE("caffe"),
  /** A frozen TensorFlow GraphDef ({@code .pb}), read only. */
  TF("tf");

  private final String extension;

  ModelFormat(String extension) {
    this.extension = extension;
  }

  public String extension() {
    return extension;
  }

  public static ModelFormat parse(String s) {
    for (ModelFormat f : values()) {
      if (f.extension.equalsIgnoreCase(s)) {
        return f;
      }
    }
    throw new dev.convoy.ir.ConvoyException("unknown model format '" + s + "' (expected onnx or cvy)");
  }

  /** The format named by {@code path}'s extension, or ONNX when it names none. */
  public static ModelFormat fromExtension(Path path) {
    String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
    return name.endsWith(".cvy") ? CVY : ONNX;
  }

  /**
   * The format of the file's content. A .cvy file is recognized by its magic; an ONNX model is a
   * protobuf whose first field is one of ModelProto's (ir_version, opset_import, producer, graph,
   * ...). Anything else is an {@link InvalidModelException} naming the file.
   */
  public static ModelFormat sniff(Path path) {
    byte[] head = new byte[SourceSniffing.HEAD_BYTES];
    int n;
    try (InputStream in = Files.newInputStream(path)) {
      n = in.readNBytes(head, 0, head.length);
    } catch (IOException e) {
      throw new InvalidModelException(path + ": cannot read (" + e.getMessage() + ")", e);
    }
    if (n == 0) {
      throw new InvalidModelException(path + ": empty file, not a model");
    }
    if (CvyFormat.looksLikeCvy(path)) {
      return CVY;
    }
    ModelFormat source = SourceSniffing.sniff(head, n);
    if (source != null) {
      return source;
    }
    int tag = head[0] & 0xFF;
    int field = tag >>> 3;
    int wire = tag & 7;
    // ModelProto fields: 1 ir_version (varint), 2 producer_name, 3 producer_version, 4 domain,
    // 5 model_version (varint), 6 doc_string, 7 graph, 8 opset_import, 14 metadata_props,
    // 20 training_info, 25 functions, 26 configuration.
    boolean onnxTag =
        switch (field) {
          case 1, 5 -> wire == 0;
          case 2, 3, 4, 6, 7, 8, 14, 20, 25, 26 -> wire == 2;
          default -> false;
        };
    if (onnxTag) {
      return ONNX;
    }
    throw new InvalidModelException(
        path + ": unrecognized model format (not ONNX, .cvy, a Caffe prototxt or caffemodel, or a"
            + " TensorFlow GraphDef)");
  }
}
