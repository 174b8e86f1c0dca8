package dev.convoy.transforms.convert.onnx;

import static dev.convoy.transforms.convert.onnx.Protos.floatInfo;
import static dev.convoy.transforms.convert.onnx.Protos.floats;
import static dev.convoy.transforms.convert.onnx.Protos.graphAttr;
import static dev.convoy.transforms.convert.onnx.Protos.model;
import static dev.convoy.transforms.convert.onnx.Protos.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.testing.TestData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad ONNX input is rejected with an error naming the file and what is wrong. */
class OnnxImportErrorsTest {
  @TempDir Path tmp;

  @Test
  void brokenFilesAreRejectedNamingTheFile() throws IOException {
    List<Path> files;
    try (var s = Files.list(TestData.brokenModels())) {
      files = s.filter(p -> !p.getFileName().toString().equals("unknown_op.onnx")).sorted().toList();
    }
    assertTrue(files.size() >= 4, "expected the broken files, found " + files);
    for (Path f : files) {
      var e = assertThrows(InvalidModelException.class, () -> OnnxImporter.importFile(f), f.toString());
      System.out.println("rejected: " + e.getMessage());
      assertTrue(e.getMessage().startsWith(f + ": not a valid ONNX model ("), e.getMessage());
    }
  }

  @Test
  void unknownOpModelImports() {
    Graph g = OnnxImporter.importFile(TestData.brokenModels().resolve("unknown_op.onnx"));
    assertEquals("com.example", g.nodes().get(1).domain());
    assertEquals("FrobnicateX", g.nodes().get(1).opType());
    assertEquals(3, g.nodes().size());
  }

  @Test
  void emptyBytesAreRejected() {
    var e = assertThrows(InvalidModelException.class,
        () -> OnnxImporter.importBytes(new byte[0], "mem.onnx", null));
    assertEquals("mem.onnx: not a valid ONNX model (empty file)", e.getMessage());
  }

  @Test
  void cycleIsRejectedNamingTheNodes() throws IOException {
    GraphProto g = GraphProto.newBuilder()
        .setName("cyclic")
        .addInput(floatInfo("x", 2))
        .addNode(node("first", "Add", List.of("x", "b"), List.of("a")))
        .addNode(node("second", "Relu", List.of("a"), List.of("b")))
        .addOutput(floatInfo("b", 2))
        .build();
    Path f = write("cycle.onnx", model(g, 13));
    var e = assertThrows(InvalidModelException.class, () -> OnnxImporter.importFile(f));
    assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("cycle"), e.getMessage());
    assertTrue(e.getMessage().contains("node 'first' (Add)") && e.getMessage().contains("node 'second' (Relu)"),
        e.getMessage());
  }

  @Test
  void undefinedInputIsRejectedNamingNodeAndValue() throws IOException {
    GraphProto g = GraphProto.newBuilder()
        .addInput(floatInfo("x", 2))
        .addNode(node("adder", "Add", List.of("x", "ghost"), List.of("y")))
        .addOutput(floatInfo("y", 2))
        .build();
    Path f = write("undefined.onnx", model(g, 13));
    var e = assertThrows(InvalidModelException.class, () -> OnnxImporter.importFile(f));
    assertEquals(f + ": main graph: node 'adder' (Add) input 'ghost' is never defined", e.getMessage());
  }

  @Test
  void undefinedCaptureInSubgraphIsRejectedWithItsPath() throws IOException {
    GraphProto branch = GraphProto.newBuilder()
        .setName("then")
        .addNode(node("inner", "Relu", List.of("nowhere"), List.of("t")))
        .addOutput(floatInfo("t", 2))
        .build();
    GraphProto g = GraphProto.newBuilder()
        .addInput(ai.onnx.proto.OnnxMl.ValueInfoProto.newBuilder().setName("c").build())
        .addNode(node("cond", "If", List.of("c"), List.of("y"),
            graphAttr("then_branch", branch), graphAttr("else_branch", branch)))
        .addOutput(floatInfo("y", 2))
        .build();
    Path f = write("capture.onnx", model(g, 13));
    var e = assertThrows(InvalidModelException.class, () -> OnnxImporter.importFile(f));
    assertTrue(e.getMessage().contains("subgraph 'then': node 'inner' (Relu) input 'nowhere' is never defined"),
        e.getMessage());
  }

  @Test
  void valueDefinedTwiceIsRejected() throws IOException {
    GraphProto g = GraphProto.newBuilder()
        .addInput(floatInfo("x", 2))
        .addNode(node("one", "Relu", List.of("x"), List.of("y")))
        .addNode(node("two", "Neg", List.of("x"), List.of("y")))
        .addOutput(floatInfo("y", 2))
        .build();
    Path f = write("twice.onnx", model(g, 13));
    var e = assertThrows(InvalidModelException.class, () -> OnnxImporter.importFile(f));
    assertTrue(e.getMessage().contains("value 'y' is defined more than once"), e.getMessage());
  }

  @Test
  void opsetAndIrVersionBelowTheMinimumAreRejected() throws IOException {
    GraphProto g = GraphProto.newBuilder()
        .addInput(floatInfo("x", 2))
        .addNode(node("r", "Relu", List.of("x"), List.of("y")))
        .addOutput(floatInfo("y", 2))
        .build();
    Path old = write("opset6.onnx", model(g, 6));
    var e = assertThrows(UnsupportedOpException.class, () -> OnnxImporter.importFile(old));
    assertEquals(old + ": default-domain opset 6 is older than 7, the oldest Convoy reads", e.getMessage());
    Path ir2 = write("ir2.onnx", model(g, 13).toBuilder().setIrVersion(2).build());
    e = assertThrows(UnsupportedOpException.class, () -> OnnxImporter.importFile(ir2));
    assertTrue(e.getMessage().contains("IR version 2"), e.getMessage());
  }

  @Test
  void externalDataOutsideTheModelFolderIsRejected() throws IOException {
    Files.write(tmp.resolve("secret.bin"), new byte[64]);
    Path dir = Files.createDirectories(tmp.resolve("model"));
    for (String location : List.of("../secret.bin", tmp.resolve("secret.bin").toString())) {
      Path f = writeIn(dir, "escape.onnx", externalModel(location, 0, 32));
      var e = assertThrows(InvalidModelException.class, () -> OnnxImporter.importFile(f));
      assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
      assertTrue(e.getMessage().contains("points outside the model's folder"), e.getMessage());
    }
  }

  @Test
  void externalDataBeyondTheFileEndIsRejected() throws IOException {
    Files.write(tmp.resolve("weights.bin"), new byte[64]);
    Path f = write("beyond.onnx", externalModel("weights.bin", 48, 32));
    var e = assertThrows(InvalidModelException.class, () -> OnnxImporter.importFile(f));
    assertTrue(e.getMessage().contains("initializer 'w'") && e.getMessage().contains("lies outside 'weights.bin' (64 bytes)"),
        e.getMessage());
    Path missing = write("missing.onnx", externalModel("nope.bin", 0, 32));
    e = assertThrows(InvalidModelException.class, () -> OnnxImporter.importFile(missing));
    assertTrue(e.getMessage().contains("external data file 'nope.bin' not found"), e.getMessage());
  }

  @Test
  void tensorDataDisagreeingWithItsShapeIsRejected() throws IOException {
    GraphProto g = GraphProto.newBuilder()
        .addInput(floatInfo("x", 4))
        .addInitializer(floats("w", new long[] {4}, 1, 2, 3))
        .addNode(node("add", "Add", List.of("x", "w"), List.of("y")))
        .addOutput(floatInfo("y", 4))
        .build();
    Path f = write("short.onnx", model(g, 13));
    var e = assertThrows(InvalidModelException.class, () -> OnnxImporter.importFile(f));
    assertTrue(e.getMessage().contains("tensor 'w' has 3 values in float_data"), e.getMessage());
  }

  @Test
  void missingFileIsAConvoyError() {
    var e = assertThrows(ConvoyException.class, () -> OnnxImporter.importFile(tmp.resolve("none.onnx")));
    assertTrue(e.getMessage().endsWith("none.onnx: no such file"), e.getMessage());
  }

  /** A model adding an 8-float external initializer {@code w} to its input. */
  private static ModelProto externalModel(String location, long offset, long length) {
    TensorProto w = TensorProto.newBuilder()
        .setName("w")
        .setDataType(1)
        .addDims(8)
        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
        .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(location))
        .addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue(Long.toString(offset)))
        .addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue(Long.toString(length)))
        .build();
    GraphProto g = GraphProto.newBuilder()
        .addInput(floatInfo("x", 8))
        .addInitializer(w)
        .addNode(node("add", "Add", List.of("x", "w"), List.of("y")))
        .addOutput(floatInfo("y", 8))
        .build();
    return model(g, 13);
  }

  private Path write(String name, ModelProto m) throws IOException {
    return writeIn(tmp, name, m);
  }

  private static Path writeIn(Path dir, String name, ModelProto m) throws IOException {
    Path f = dir.resolve(name);
    Files.write(f, m.toByteArray());
    return f;
  }
}
