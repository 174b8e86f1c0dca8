package dev.convoy.transforms.convert.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.List;

/** Small builders for hand-made ONNX models in tests. */
final class Protos {
  private Protos() {}

  static ModelProto model(GraphProto g, long opset) {
    return ModelProto.newBuilder()
        .setIrVersion(8)
        .setProducerName("convoy-test")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
        .setGraph(g)
        .build();
  }

  static ValueInfoProto floatInfo(String name, long... dims) {
    var shape = TensorShapeProto.newBuilder();
    for (long d : dims) {
      shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(TypeProto.newBuilder().setTensorType(
            TypeProto.Tensor.newBuilder().setElemType(1).setShape(shape)))
        .build();
  }

  static NodeProto node(String name, String op, List<String> inputs, List<String> outputs,
      AttributeProto... attributes) {
    return NodeProto.newBuilder()
        .setName(name)
        .setOpType(op)
        .addAllInput(inputs)
        .addAllOutput(outputs)
        .addAllAttribute(List.of(attributes))
        .build();
  }

  static AttributeProto floatAttr(String name, float v) {
    return AttributeProto.newBuilder()
        .setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
  }

  static AttributeProto graphAttr(String name, GraphProto g) {
    return AttributeProto.newBuilder()
        .setName(name).setType(AttributeProto.AttributeType.GRAPH).setG(g).build();
  }

  static TensorProto floats(String name, long[] dims, float... values) {
    var b = TensorProto.newBuilder().setName(name).setDataType(1);
    for (long d : dims) {
      b.addDims(d);
    }
    for (float v : values) {
      b.addFloatData(v);
    }
    return b.build();
  }
}
