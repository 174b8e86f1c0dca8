package dev.convoy.transforms.convert.tflite;

import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.graph.Value;
import java.nio.ByteBuffer;
import org.tensorflow.lite.schema.Operator;

/** One TFLite operator being converted: its operands, options and where it sits, for messages. */
final class Op {
  final Emitter e;
  final Operator op;
  final int index;
  final int code;
  final String customCode;

  Op(Emitter e, Operator op, int index) {
    this.e = e;
    this.op = op;
    this.index = index;
    var oc = e.file.operatorCode(op.opcodeIndex());
    this.code = Math.max(oc.builtinCode(), oc.deprecatedBuiltinCode());
    this.customCode = oc.customCode();
  }

  String name() {
    return customCode != null && code == org.tensorflow.lite.schema.BuiltinOperator.CUSTOM
        ? "custom op '" + customCode + "'" : TfliteFile.builtinName(code);
  }

  /** Where the operator is, for messages: {@code operator 3 (CONV_2D) of subgraph 0}. */
  String where() {
    return "operator " + index + " (" + name() + ") of subgraph " + e.subgraphIndex;
  }

  int inputCount() {
    return op.inputsLength();
  }

  /** The tensor index of input {@code i}, or -1 when it is omitted. */
  int in(int i) {
    return i < op.inputsLength() ? op.inputs(i) : -1;
  }

  boolean has(int i) {
    return in(i) >= 0;
  }

  int out(int i) {
    if (i >= op.outputsLength()) {
      throw e.invalid(where() + " has " + op.outputsLength() + " outputs, needs " + (i + 1));
    }
    return op.outputs(i);
  }

  int outputCount() {
    return op.outputsLength();
  }

  /** The real-valued operand {@code i}. */
  Value val(int i) {
    return e.val(required(i));
  }

  int required(int i) {
    int t = in(i);
    if (t < 0) {
      throw e.invalid(where() + " lacks its required input " + i);
    }
    return t;
  }

  /** The builtin options table, or a default instance when the operator stores none. */
  <T extends com.google.flatbuffers.Table> T options(T empty) {
    if (op.builtinOptionsType() == 0) {
      return null;
    }
    @SuppressWarnings("unchecked")
    T t = (T) op.builtinOptions(empty);
    return t;
  }

  ByteBuffer customOptions() {
    return op.customOptionsLength() == 0 ? null : op.customOptionsAsByteBuffer();
  }

  void define(int outputIndex, Value v) {
    e.define(out(outputIndex), v);
  }

  UnsupportedOpException unsupported(String why) {
    return new UnsupportedOpException(e.file.src + ": " + where() + ": " + why);
  }
}
