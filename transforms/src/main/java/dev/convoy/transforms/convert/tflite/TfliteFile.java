package dev.convoy.transforms.convert.tflite;

import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.graph.DType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.tensorflow.lite.schema.BuiltinOperator;
import org.tensorflow.lite.schema.Model;
import org.tensorflow.lite.schema.OperatorCode;
import org.tensorflow.lite.schema.TensorType;

/**
 * A {@code .tflite} file checked enough to be read safely: the FlatBuffers root, the {@code TFL3}
 * identifier, schema version 3, and every buffer's data inside the file. Accessors that follow
 * offsets can still meet a corrupt table; {@link TfliteImporter} turns those into errors naming
 * the file.
 */
final class TfliteFile {
  /** The FlatBuffers file identifier of TFLite models, at bytes 4 to 8. */
  static final String IDENTIFIER = "TFL3";

  final String src;
  final ByteBuffer bytes;
  final Model model;
  private final ByteBuffer[] buffers;

  private TfliteFile(String src, ByteBuffer bytes, Model model, ByteBuffer[] buffers) {
    this.src = src;
    this.bytes = bytes;
    this.model = model;
    this.buffers = buffers;
  }

  static TfliteFile parse(ByteBuffer whole, String src) {
    ByteBuffer bb = whole.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    long size = bb.remaining();
    if (size < 8) {
      throw invalid(src, "file is " + size + " bytes, shorter than a FlatBuffers header");
    }
    byte[] id = new byte[4];
    bb.get(4, id);
    String found = new String(id, StandardCharsets.ISO_8859_1);
    if (!found.equals(IDENTIFIER)) {
      throw invalid(src, "file identifier is '" + printable(found) + "', not '" + IDENTIFIER + "'");
    }
    long root = Integer.toUnsignedLong(bb.getInt(0));
    if (root + 4 > size) {
      throw invalid(src, "root table offset " + root + " lies outside the file (" + size + " bytes)");
    }
    Model model = Model.getRootAsModel(bb);
    if (model.version() != 3) {
      throw new UnsupportedOpException(
          src + ": TFLite schema version " + model.version() + " (Convoy reads version 3)");
    }
    if (model.subgraphsLength() == 0) {
      throw invalid(src, "the model has no subgraph");
    }
    ByteBuffer[] buffers = new ByteBuffer[model.buffersLength()];
    for (int i = 0; i < buffers.length; i++) {
      var b = model.buffers(i);
      if (b == null || b.dataLength() == 0) {
        continue;
      }
      buffers[i] = data(b, bb, src, i);
    }
    return new TfliteFile(src, bb, model, buffers);
  }

  private static ByteBuffer data(
      org.tensorflow.lite.schema.Buffer b, ByteBuffer bb, String src, int i) {
    long length = Integer.toUnsignedLong(b.dataLength());
    try {
      return b.dataAsByteBuffer().slice().order(ByteOrder.LITTLE_ENDIAN);
    } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
      throw invalid(src, "buffer " + i + "'s data (" + length + " bytes) lies outside the file ("
          + bb.capacity() + " bytes)");
    }
  }

  /** The data of buffer {@code index}, a read-only slice of the file, or {@code null} if empty. */
  ByteBuffer buffer(long index, String tensorName) {
    if (index < 0 || index >= buffers.length) {
      throw invalid(src, "tensor '" + tensorName + "' names buffer " + index + " of "
          + buffers.length);
    }
    ByteBuffer b = buffers[(int) index];
    return b == null ? null : b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** The builtin code of operator code {@code index} (the larger of the two code fields). */
  int builtinCode(long index) {
    OperatorCode c = operatorCode(index);
    return Math.max(c.builtinCode(), c.deprecatedBuiltinCode());
  }

  OperatorCode operatorCode(long index) {
    if (index < 0 || index >= model.operatorCodesLength()) {
      throw invalid(src, "an operator names operator code " + index + " of "
          + model.operatorCodesLength());
    }
    return model.operatorCodes((int) index);
  }

  /** A builtin's schema name ({@code CONV_2D}), or {@code builtin code N} for codes past the schema. */
  static String builtinName(int code) {
    return code >= 0 && code < BuiltinOperator.names.length
        ? BuiltinOperator.names[code] : "builtin code " + code;
  }

  /** The IR element type of a TFLite tensor type; types with no IR counterpart are rejected. */
  DType dtype(byte type, String tensorName) {
    return switch (type) {
      case TensorType.FLOAT32 -> DType.FLOAT;
      case TensorType.FLOAT16 -> DType.FLOAT16;
      case TensorType.FLOAT64 -> DType.DOUBLE;
      case TensorType.INT8 -> DType.INT8;
      case TensorType.UINT8 -> DType.UINT8;
      case TensorType.INT16 -> DType.INT16;
      case TensorType.UINT16 -> DType.UINT16;
      case TensorType.INT32 -> DType.INT32;
      case TensorType.UINT32 -> DType.UINT32;
      case TensorType.INT64 -> DType.INT64;
      case TensorType.UINT64 -> DType.UINT64;
      case TensorType.BOOL -> DType.BOOL;
      default -> throw new UnsupportedOpException(src + ": tensor '" + tensorName + "' has type "
          + (type >= 0 && type < TensorType.names.length ? TensorType.names[type] : "code " + type)
          + ", which Convoy does not import");
    };
  }

  static InvalidModelException invalid(String src, String why) {
    return new InvalidModelException(src + ": not a valid TFLite model (" + why + ")");
  }

  private static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) {
      b.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\x%02x", (int) c));
    }
    return b.toString();
  }
}
