package dev.convoy.ir.ops;

import dev.convoy.ir.graph.ValueType;
import java.util.List;

/**
 * A value the evaluator passes between kernels: a tensor ({@link NdArray}), a sequence of values
 * or an optional that is empty or holds one value. These are exactly the ONNX runtime kinds the
 * standard ops produce (maps are not produced by any standard op Convoy runs).
 */
public sealed interface RuntimeValue permits NdArray, RuntimeValue.SequenceValue,
    RuntimeValue.OptionalValue {

  /**
   * An ONNX sequence. {@code elementType} is known when the producer declares it (SequenceEmpty's
   * dtype) and may be {@code null} otherwise; an empty sequence keeps it so its type survives.
   */
  record SequenceValue(ValueType elementType, List<RuntimeValue> items) implements RuntimeValue {
    public SequenceValue {
      items = List.copyOf(items);
    }

    public int size() {
      return items.size();
    }

    /** Item {@code i} as a tensor, or a clear error when it is not one. */
    public NdArray tensor(int i) {
      if (items.get(i) instanceof NdArray a) {
        return a;
      }
      throw new dev.convoy.ir.ConvoyException("sequence item " + i + " is not a tensor");
    }
  }

  /** An ONNX optional; {@code value} is {@code null} when empty. */
  record OptionalValue(ValueType elementType, RuntimeValue value) implements RuntimeValue {
    public boolean isPresent() {
      return value != null;
    }
  }

  /** A short description for error messages: {@code float32[2,3]}, {@code seq(3)}. */
  default String describe() {
    if (this instanceof NdArray a) {
      return a.dtype().textName() + dev.convoy.ir.graph.Shape.toString(a.dims());
    }
    if (this instanceof SequenceValue s) {
      return "seq(" + s.size() + ")";
    }
    return ((OptionalValue) this).isPresent() ? "optional(present)" : "optional(empty)";
  }
}
