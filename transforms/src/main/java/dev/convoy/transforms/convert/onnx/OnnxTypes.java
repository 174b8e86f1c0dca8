package dev.convoy.transforms.convert.onnx;

import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.ValueType;
import java.util.ArrayList;
import java.util.List;

/**
 * Converts between ONNX {@code TypeProto} and Convoy's {@link ValueType}. A type ONNX leaves
 * unset (no value case, or a tensor whose element type is 0) is "unknown" and maps to {@code
 * null}, which the exporter writes back as an unset type.
 */
final class OnnxTypes {
  private OnnxTypes() {}

  /** The value type of {@code t}, or {@code null} when the proto leaves it unknown. */
  static ValueType fromProto(TypeProto t, String valueName) {
    return switch (t.getValueCase()) {
      case TENSOR_TYPE -> {
        var tt = t.getTensorType();
        if (tt.getElemType() == 0) {
          yield null;
        }
        yield new ValueType.TensorType(
            DType.fromOnnx(tt.getElemType()), tt.hasShape() ? shape(tt.getShape()) : Shape.unknownRank());
      }
      case SEQUENCE_TYPE -> new ValueType.SequenceType(
          fromProto(t.getSequenceType().getElemType(), valueName));
      case OPTIONAL_TYPE -> new ValueType.OptionalType(
          fromProto(t.getOptionalType().getElemType(), valueName));
      case MAP_TYPE -> new ValueType.MapType(
          DType.fromOnnx(t.getMapType().getKeyType()),
          fromProto(t.getMapType().getValueType(), valueName));
      case SPARSE_TENSOR_TYPE -> throw new InvalidModelException(
          "value '" + valueName + "' has a sparse tensor type, which Convoy does not support");
      case VALUE_NOT_SET -> null;
      default -> throw new InvalidModelException(
          "value '" + valueName + "' has an unsupported type kind " + t.getValueCase());
    };
  }

  private static Shape shape(TensorShapeProto s) {
    List<Dim> dims = new ArrayList<>(s.getDimCount());
    for (TensorShapeProto.Dimension d : s.getDimList()) {
      if (d.hasDimValue() && d.getDimValue() >= 0) {
        dims.add(Dim.of(d.getDimValue()));
      } else if (d.hasDimParam() && !isPlaceholder(d.getDimParam())) {
        dims.add(Dim.of(d.getDimParam()));
      } else {
        // Some exporters write -1 for "unknown"; ONNX's own reading of it is the same.
        dims.add(Dim.UNKNOWN);
      }
    }
    return Shape.of(dims);
  }

  /**
   * Whether a {@code dim_param} only says "unknown": empty, {@code ?} (Paddle's exporter writes it
   * for every unknown dim) or ONNX shape inference's generated {@code unk__N}. Such a name binds
   * nothing: two dims that carry it need not be equal, so it reads as an unknown dim.
   */
  static boolean isPlaceholder(String dimParam) {
    String p = dimParam.strip();
    return p.isEmpty() || p.equals("?") || p.matches("unk__\\d+");
  }

  /** The proto form of {@code t}; {@code null} gives an unset type. */
  static TypeProto toProto(ValueType t) {
    TypeProto.Builder b = TypeProto.newBuilder();
    if (t == null) {
      return b.build();
    }
    if (t instanceof ValueType.TensorType tt) {
      var tb = TypeProto.Tensor.newBuilder().setElemType(tt.dtype().onnxCode());
      if (tt.shape().hasRank()) {
        tb.setShape(shapeProto(tt.shape()));
      }
      b.setTensorType(tb);
    } else if (t instanceof ValueType.SequenceType s) {
      b.setSequenceType(TypeProto.Sequence.newBuilder().setElemType(toProto(s.elementType())));
    } else if (t instanceof ValueType.OptionalType o) {
      b.setOptionalType(TypeProto.Optional.newBuilder().setElemType(toProto(o.elementType())));
    } else if (t instanceof ValueType.MapType m) {
      b.setMapType(
          TypeProto.Map.newBuilder()
              .setKeyType(m.keyType().onnxCode())
              .setValueType(toProto(m.valueType())));
    }
    return b.build();
  }

  private static TensorShapeProto shapeProto(Shape shape) {
    var sb = TensorShapeProto.newBuilder();
    for (Dim d : shape.dims()) {
      var db = TensorShapeProto.Dimension.newBuilder();
      if (d instanceof Dim.Static st) {
        db.setDimValue(st.size());
      } else if (d instanceof Dim.Symbolic sym) {
        db.setDimParam(sym.name());
      }
      sb.addDim(db);
    }
    return sb.build();
  }
}
