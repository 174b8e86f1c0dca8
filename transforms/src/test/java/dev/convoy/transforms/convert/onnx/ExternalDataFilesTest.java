package dev.convoy.transforms.convert.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The external data files a model names, wherever its external tensors sit. */
class ExternalDataFilesTest {
  @TempDir Path tmp;

  @Test
  void namesTheFilesOfInitializersAndOfTensorsInNestedGraphs() throws Exception {
    GraphProto branch = GraphProto.newBuilder().setName("then")
        .addInitializer(external("b", "sub/branch.bin"))
        .addNode(Protos.node("c", "Constant", List.of(), List.of("k"),
            ai.onnx.proto.OnnxMl.AttributeProto.newBuilder().setName("value")
                .setType(ai.onnx.proto.OnnxMl.AttributeProto.AttributeType.TENSOR)
                .setT(external("k", "constant.bin")).build()))
        .build();
    GraphProto g = GraphProto.newBuilder().setName("g")
        .addInitializer(external("w", "weights.bin"))
        .addInitializer(external("w2", "weights.bin"))
        .addInitializer(Protos.floats("inline", new long[] {1}, 1f))
        .addNode(Protos.node("if", "If", List.of("cond"), List.of("y"),
            Protos.graphAttr("then_branch", branch)))
        .build();
    Path model = tmp.resolve("m.onnx");
    Files.write(model, Protos.model(g, 17).toByteArray());
    assertEquals(List.of("constant.bin", "sub/branch.bin", "weights.bin"),
        List.copyOf(ExternalDataFiles.of(model)));
  }

  @Test
  void aSelfContainedModelNamesNone() throws Exception {
    GraphProto g = GraphProto.newBuilder().setName("g")
        .addInitializer(Protos.floats("inline", new long[] {2}, 1f, 2f)).build();
    Path model = tmp.resolve("m.onnx");
    Files.write(model, Protos.model(g, 17).toByteArray());
    assertEquals(Set.of(), ExternalDataFiles.of(model));
  }

  private static TensorProto external(String name, String location) {
    return TensorProto.newBuilder().setName(name).setDataType(1).addDims(4)
        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
        .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(location))
        .addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue("0"))
        .build();
  }
}
