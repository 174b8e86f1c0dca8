package dev.convoy.transforms.conformance;

import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.RuntimeValue;
import dev.convoy.transforms.convert.onnx.OnnxTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the {@code input_K.pb} / {@code output_K.pb} files of the ONNX node tests as runtime
 * values. The message type follows the declared type: {@code TensorProto} for tensors, {@code
 * SequenceProto} and {@code OptionalProto} (from {@code onnx-data.proto}, which the ONNX Java
 * classes lack) are decoded here by field number.
 */
public final class ValueFiles {
  // SequenceProto: tensor_values = 3, sequence_values = 5, optional_values = 7.
  // OptionalProto: tensor_value = 3, sequence_value = 5, optional_value = 7.
  private static final int TENSOR = 3;
  private static final int SEQUENCE = 5;
  private static final int OPTIONAL = 7;

  private ValueFiles() {}

  /** Reads {@code file} as a value of {@code declared} type (a tensor when unknown). */
  public static RuntimeValue read(Path file, ValueType declared) {
    if (declared == null || declared instanceof ValueType.TensorType) {
      return NdArray.fromTensor(OnnxTensors.readPb(file));
    }
    try {
      return decode(Files.readAllBytes(file), declared, file);
    } catch (IOException e) {
      throw new ConvoyException(file + ": cannot read (" + e.getMessage() + ")", e);
    }
  }

  private static RuntimeValue decode(byte[] bytes, ValueType type, Path file) throws IOException {
    if (type instanceof ValueType.TensorType || type == null) {
      return NdArray.fromTensor(OnnxTensors.fromProto(TensorProto.parseFrom(bytes),
          file.toAbsolutePath().getParent()));
    }
    boolean sequence = type instanceof ValueType.SequenceType;
    ValueType element = sequence ? ((ValueType.SequenceType) type).elementType()
        : type instanceof ValueType.OptionalType o ? o.elementType() : null;
    if (element == null) {
      throw new InvalidModelException(file + ": values of type " + type + " cannot be read");
    }
    List<RuntimeValue> items = new ArrayList<>();
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    while (!in.isAtEnd()) {
      int tag = in.readTag();
      int field = WireFormat.getTagFieldNumber(tag);
      if ((field == TENSOR || field == SEQUENCE || field == OPTIONAL)
          && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        ValueType itemType = switch (field) {
          case TENSOR -> element instanceof ValueType.TensorType ? element : null;
          default -> element;
        };
        items.add(decode(in.readByteArray(), itemType, file));
      } else {
        in.skipField(tag);
      }
    }
    if (sequence) {
      return new RuntimeValue.SequenceValue(element, items);
    }
    return new RuntimeValue.OptionalValue(element, items.isEmpty() ? null : items.get(0));
  }
}
