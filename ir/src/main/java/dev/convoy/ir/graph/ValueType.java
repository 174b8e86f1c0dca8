package dev.convoy.ir.graph;

import java.util.Objects;

/**
 * The type of a {@link Value}: a tensor (the common case), a sequence, an optional or a map,
 * mirroring ONNX's {@code TypeProto}. A value whose type is not known carries {@code null}.
 */
public sealed interface ValueType {

  /** A tensor of one element type and a (possibly partly known) shape. */
  record TensorType(DType dtype, Shape shape) implements ValueType {
    public TensorType {
      Objects.requireNonNull(dtype, "dtype");
      Objects.requireNonNull(shape, "shape");
    }

    public static TensorType of(DType dtype, long... dims) {
      return new TensorType(dtype, Shape.of(dims));
    }

    @Override
    public String toString() {
      return dtype.textName() + shape;
    }
  }

  /** An ONNX sequence of values of one element type. */
  record SequenceType(ValueType elementType) implements ValueType {
    @Override
    public String toString() {
      return "seq<" + elementType + ">";
    }
  }

  /** An ONNX optional: either empty or one value of the element type. */
  record OptionalType(ValueType elementType) implements ValueType {
    @Override
    public String toString() {
      return "optional<" + elementType + ">";
    }
  }

  /** An ONNX map from a scalar key type to values. */
  record MapType(DType keyType, ValueType valueType) implements ValueType {
    @Override
    public String toString() {
      return "map<" + keyType.textName() + "," + valueType + ">";
    }
  }
}
