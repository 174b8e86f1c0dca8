package dev.convoy.transforms.verify;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.HalfFloats;
import dev.convoy.ir.graph.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An ONNX model computed in float64 instead of float32 and float16: every such tensor
 * (initializers, Constant and other tensor attributes, in subgraphs too), value type and {@code
 * Cast} target becomes float64, so that ONNX Runtime computes the same graph with 29 (or 42) more
 * bits of precision. It serves as the exact answer against which {@link PrecisionDrift}
 * tells which of two float32 results is the more accurate. A model that holds anything this cannot
 * widen faithfully (external or sparse tensors, another attribute naming an element type) gives
 * {@code null}; one whose ops ONNX Runtime has no float64 kernel for fails when it is run.
 */
final class Float64Model {
  private static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;
  private static final int FLOAT16 = TensorProto.DataType.FLOAT16_VALUE;
  private static final int DOUBLE = TensorProto.DataType.DOUBLE_VALUE;

  /** Thrown inside when the model holds something this does not widen. */
  private static final class Unwidenable extends RuntimeException {
    Unwidenable() {
      super(null, null, false, false);
    }
  }

  private Float64Model() {}

  /** The float64 form of the ONNX model in {@code onnx}, or null when it cannot be widened. */
  static byte[] of(byte[] onnx) {
    try {
      ModelProto m = ModelProto.parseFrom(onnx);
      return m.toBuilder().setGraph(graph(m.getGraph())).build().toByteArray();
    } catch (InvalidProtocolBufferException | Unwidenable e) {
      return null;
    }
  }

  /** {@code inputs} with every float32 and float16 tensor as float64 (the same values). */
  static Map<String, Tensor> inputs(Map<String, Tensor> inputs) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    inputs.forEach((k, v) -> out.put(k, v.dtype() == DType.FLOAT || v.dtype() == DType.FLOAT16
        ? Tensor.ofDoubles(v.dims(), v.toDoubleArray()) : v));
    return out;
  }

  private static boolean widened(long elemType) {
    return elemType == FLOAT || elemType == FLOAT16;
  }

  private static GraphProto graph(GraphProto g) {
    if (g.getSparseInitializerCount() > 0) {
      throw new Unwidenable();
    }
    GraphProto.Builder b = g.toBuilder().clearInitializer().clearInput().clearOutput()
        .clearValueInfo().clearNode();
    g.getInitializerList().forEach(t -> b.addInitializer(tensor(t)));
    g.getInputList().forEach(v -> b.addInput(valueInfo(v)));
    g.getOutputList().forEach(v -> b.addOutput(valueInfo(v)));
    g.getValueInfoList().forEach(v -> b.addValueInfo(valueInfo(v)));
    g.getNodeList().forEach(n -> b.addNode(node(n)));
    return b.build();
  }

  private static NodeProto node(NodeProto n) {
    NodeProto.Builder b = n.toBuilder().clearAttribute();
    boolean cast = n.getOpType().equals("Cast") && n.getDomain().isEmpty();
    for (AttributeProto a : n.getAttributeList()) {
      AttributeProto.Builder ab = a.toBuilder();
      if (cast && a.getName().equals("to")) {
        ab.setI(widened(a.getI()) ? DOUBLE : a.getI());
      } else if (a.getName().equals("dtype") || a.getName().equals("to")) {
        throw new Unwidenable();
      }
      if (a.hasT()) {
        ab.setT(tensor(a.getT()));
      }
      ab.clearTensors();
      a.getTensorsList().forEach(t -> ab.addTensors(tensor(t)));
      if (a.hasG()) {
        ab.setG(graph(a.getG()));
      }
      ab.clearGraphs();
      a.getGraphsList().forEach(sub -> ab.addGraphs(graph(sub)));
      b.addAttribute(ab);
    }
    return b.build();
  }

  private static ValueInfoProto valueInfo(ValueInfoProto v) {
    return v.hasType() ? v.toBuilder().setType(type(v.getType())).build() : v;
  }

  private static TypeProto type(TypeProto t) {
    if (t.hasTensorType() && widened(t.getTensorType().getElemType())) {
      return t.toBuilder().setTensorType(t.getTensorType().toBuilder().setElemType(DOUBLE)).build();
    }
    if (t.hasSequenceType()) {
      return t.toBuilder().setSequenceType(t.getSequenceType().toBuilder()
          .setElemType(type(t.getSequenceType().getElemType()))).build();
    }
    if (t.hasOptionalType()) {
      return t.toBuilder().setOptionalType(t.getOptionalType().toBuilder()
          .setElemType(type(t.getOptionalType().getElemType()))).build();
    }
    return t;
  }

  private static TensorProto tensor(TensorProto t) {
    if (!widened(t.getDataType())) {
      return t;
    }
    if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
      throw new Unwidenable();
    }
    boolean half = t.getDataType() == FLOAT16;
    double[] values;
    if (t.hasRawData()) {
      ByteBuffer raw = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      values = new double[raw.remaining() / (half ? 2 : 4)];
      for (int i = 0; i < values.length; i++) {
        values[i] = half ? HalfFloats.toFloat(raw.getShort(2 * i)) : raw.getFloat(4 * i);
      }
    } else if (half) {
      values = new double[t.getInt32DataCount()];
      for (int i = 0; i < values.length; i++) {
        values[i] = HalfFloats.toFloat((short) t.getInt32Data(i));
      }
    } else {
      values = new double[t.getFloatDataCount()];
      for (int i = 0; i < values.length; i++) {
        values[i] = t.getFloatData(i);
      }
    }
    ByteBuffer out = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (double v : values) {
      out.putDouble(v);
    }
    out.flip();
    return t.toBuilder().setDataType(DOUBLE).clearFloatData().clearInt32Data()
        .setRawData(ByteString.copyFrom(out)).build();
  }
}
