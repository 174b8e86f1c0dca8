package dev.convoy.transforms.convert;

import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.format.CvyFormat;
import dev.convoy.transforms.convert.tflite.TfliteImporter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The model formats Convoy reads and writes, and sniffing a file's format from its first bytes
 * (the extension is only a tie-breaker: a model renamed to {@code .bin} still loads). A format
 * recognizes its content in {@link #recognizes}; {@link #sniff} asks the formats with a signature
 * first and ONNX (a bare protobuf, only plausible) last, so a new source format is one constant
 * here, one case in {@link #recognizes} and one in {@link Models}.
 */
public enum ModelFormat {
  ONNX("onnx", true, "ONNX protobuf"),
  CVY("cvy", true, ".cvy"),
  /** TFLite FlatBuffers, recognized by the file identifier {@code TFL3} at bytes 4 to 8. */
  TFLITE("tflite", false, "TFLite FlatBuffer (identifier TFL3)"),
  /** A Caffe model: deploy prototxt (text) plus caffemodel (weights), either file naming it. */
  CAFFE("caffe", false, "Caffe prototxt or caffemodel"),
  /** A frozen TensorFlow GraphDef ({@code .pb}). */
  TF("tf", false, "TensorFlow GraphDef");

  private static final List<ModelFormat> SNIFF_ORDER = List.of(CVY, TFLITE, CAFFE, TF, ONNX);

  private final String extension;
  private final boolean writable;
  private final String description;

  ModelFormat(String extension, boolean writable, String description) {
    this.extension = extension;
    this.writable = writable;
    this.description = description;
  }

  /** Whether Convoy can write this format (else it is a source format only). */
  public boolean writable() {
    return writable;
  }

  /** Whether a file starting with {@code head} ({@code n} bytes read) is in this format. */
  boolean recognizes(Path path, byte[] head, int n) {
    return switch (this) {
      case CVY -> CvyFormat.looksLikeCvy(path);
      case TFLITE -> TfliteImporter.hasIdentifier(head, n);
      case CAFFE -> SourceSniffing.isPrototxt(head, n) || SourceSniffing.isCaffemodel(head, n);
      case TF -> SourceSniffing.isGraphDef(head, n);
      case ONNX -> looksLikeOnnx(head);
    };
  }

  public String extension() {
    return extension;
  }

  /** The writable format named {@code s} ({@code onnx} or {@code cvy}). */
  public static ModelFormat parse(String s) {
    for (ModelFormat f : values()) {
      if (f.writable() && f.extension.equalsIgnoreCase(s)) {
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
    for (ModelFormat f : SNIFF_ORDER) {
      if (f.recognizes(path, head, n)) {
        return f;
      }
    }
    List<String> known = SNIFF_ORDER.stream().map(f -> f.description).toList();
    throw new InvalidModelException(path + ": unrecognized model format (not "
        + String.join(", ", known.subList(0, known.size() - 1)) + " or "
        + known.get(known.size() - 1) + ")");
  }

  private static boolean looksLikeOnnx(byte[] head) {
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
    return onnxTag;
  }
}
