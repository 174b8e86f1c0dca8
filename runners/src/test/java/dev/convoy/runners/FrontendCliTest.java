package dev.convoy.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import caffe.Caffe;
import com.google.protobuf.ByteString;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.testing.TestData;
import dev.convoy.runners.CliTest.Result;
import dev.convoy.transforms.convert.onnx.OnnxTensors;
import dev.convoy.transforms.verify.OrtVerifier;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * The command line on Caffe pairs and TensorFlow frozen graphs: sniffed from content, evaluated
 * with intermediate blobs exposed, converted in a mixed zoo with each source format recorded;
 * and their bad inputs, each exiting 2 with one line naming the file.
 */
class FrontendCliTest {
  @TempDir Path tmp;

  private static Path caffe(String stem) {
    return TestData.root().resolve("models/caffe").resolve(stem + ".prototxt");
  }

  @Test
  void evalOfACaffePairWritesTheFinalAndARequestedBlob() {
    Path prototxt = caffe("lenet");
    Path ref = prototxt.resolveSibling("lenet.ref/test_data_set_0");
    Path outDir = tmp.resolve("outs");
    Result r = CliTest.run("eval", prototxt.toString(), "--inputs", ref.toString(),
        "--outputs", outDir.toString(), "--output", "ip2");
    assertEquals(Main.OK, r.exit(), r.err());
    // The references hold ip2 (fed to the Softmax) as output_0 and prob as output_1.
    assertAgrees(ref.resolve("output_1.pb"), outDir.resolve("output_0.pb"));
    assertAgrees(ref.resolve("output_0.pb"), outDir.resolve("output_1.pb"));
  }

  private static void assertAgrees(Path expected, Path actual) {
    Tensor want = OnnxTensors.readPb(expected);
    Tensor got = OnnxTensors.readPb(actual);
    var c = OrtVerifier.compareTensors(actual.toString(), want, got, OrtVerifier.Tolerance.DEFAULT);
    assertTrue(c.pass(), actual + ": max abs error " + c.maxAbsError());
  }

  @Test
  void inspectNamesTheSourceFormatOfEitherFileOfACaffePairAndOfAGraphDef() throws IOException {
    Result p = CliTest.run("inspect", caffe("lenet").toString());
    assertEquals(Main.OK, p.exit(), p.err());
    assertTrue(p.out().contains("(caffe,"), p.out());
    Result w = CliTest.run("inspect", caffe("lenet").resolveSibling("lenet.caffemodel").toString());
    assertEquals(Main.OK, w.exit(), w.err());
    assertTrue(w.out().contains("Conv"), w.out());
    Path pb = tmp.resolve("mlp.pb");
    Files.write(pb, mlp().toByteArray());
    Result t = CliTest.run("inspect", pb.toString());
    assertEquals(Main.OK, t.exit(), t.err());
    assertTrue(t.out().contains("(tf,"), t.out());
  }

  @Test
  void runConvertsAZooMixingOnnxTfliteCaffeAndTensorFlowAndRecordsEachFormat()
      throws IOException, SQLException {
    Path zoo = Files.createDirectories(tmp.resolve("zoo"));
    Files.copy(TestData.devModels().resolve("optest_conv_bn_relu.onnx"), zoo.resolve("conv.onnx"));
    for (String f : List.of("lenet.prototxt", "lenet.caffemodel", "lenet.prototxt.oracle.args")) {
      Files.copy(caffe("lenet").resolveSibling(f), zoo.resolve(f));
    }
    Path tflite = TestData.root().resolve("models/tflite");
    for (String f : List.of("hello_world_float.tflite", "hello_world_float.tflite.oracle.args")) {
      Files.copy(tflite.resolve(f), zoo.resolve(f));
    }
    Files.write(zoo.resolve("mlp.pb"), mlp().toByteArray());
    // Its batch is dynamic: verification needs a concrete shape, as for an ONNX model.
    Files.writeString(zoo.resolve("mlp.pb.oracle.args"), "x=2x4\n");
    Path out = tmp.resolve("out");
    Result run = CliTest.run("run", zoo.toString(), "--out", out.toString(), "--run-id", "mixed",
        "--level", "O2");
    assertEquals(Main.OK, run.exit(), run.out() + run.err());
    Map<String, String> formats = new TreeMap<>();
    String models = out.resolve("warehouse/models/run_id=mixed").toString();
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(
            "SELECT model, format FROM read_parquet('" + models + "/*.parquet')")) {
      while (rs.next()) {
        formats.put(rs.getString(1), rs.getString(2));
      }
    }
    assertEquals(Map.of("conv", "onnx", "hello_world_float", "tflite", "lenet", "caffe",
        "mlp", "tf"), formats);
  }

  @Test
  void runReadsACaffePairNamedInAManifest() throws IOException {
    Path zoo = Files.createDirectories(tmp.resolve("manifested"));
    Files.createDirectories(zoo.resolve("defs"));
    Files.createDirectories(zoo.resolve("weights"));
    Files.copy(caffe("lenet"), zoo.resolve("defs/deploy.prototxt"));
    Files.copy(caffe("lenet").resolveSibling("lenet.caffemodel"),
        zoo.resolve("weights/trained.caffemodel"));
    Path manifest = zoo.resolve("models.csv");
    Files.writeString(manifest, "path,weights,name,input_shapes\n"
        + "defs/deploy.prototxt,weights/trained.caffemodel,lenet_pair,data=1x1x28x28\n");
    Result run = CliTest.run("run", manifest.toString(), "--out", tmp.resolve("mout").toString(),
        "--run-id", "m", "--level", "O1");
    assertEquals(Main.OK, run.exit(), run.out() + run.err());
  }

  // ---- bad input: exit 2, one line naming the file ----

  @Test
  void prototxtSyntaxErrorNamesTheFileAndLine() throws IOException {
    Path dir = pair("syntax");
    Path prototxt = dir.resolve("syntax.prototxt");
    List<String> lines = Files.readAllLines(prototxt);
    int line = lines.indexOf(lines.stream().filter(l -> l.contains("num_output")).findFirst()
        .orElseThrow());
    lines.set(line, lines.get(line).replace("num_output:", "num_output"));
    Files.write(prototxt, lines);
    assertBadInput(prototxt, prototxt + ":" + (line + 1) + ":");
  }

  @Test
  void caffemodelMissingALayersBlobsNamesTheWeightsFile() throws IOException {
    Path dir = pair("missing");
    Path weights = dir.resolve("missing.caffemodel");
    Caffe.NetParameter.Builder net = Caffe.NetParameter.parseFrom(Files.readAllBytes(weights))
        .toBuilder();
    for (Caffe.LayerParameter.Builder l : net.getLayerBuilderList()) {
      if (l.getName().equals("conv2")) {
        l.clearBlobs();
      }
    }
    Files.write(weights, net.build().toByteArray());
    assertBadInput(dir.resolve("missing.prototxt"), weights + ": layer 'conv2'");
  }

  @Test
  void caffemodelBlobOfTheWrongShapeNamesTheWeightsFile() throws IOException {
    Path dir = pair("shape");
    Path weights = dir.resolve("shape.caffemodel");
    Caffe.NetParameter.Builder net = Caffe.NetParameter.parseFrom(Files.readAllBytes(weights))
        .toBuilder();
    for (Caffe.LayerParameter.Builder l : net.getLayerBuilderList()) {
      if (l.getName().equals("ip1")) {
        // The same element count in another shape: only the shape check can tell.
        Caffe.BlobShape s = l.getBlobs(0).getShape();
        l.getBlobsBuilder(0).setShape(Caffe.BlobShape.newBuilder()
            .addDim(s.getDim(1)).addDim(s.getDim(0)));
      }
    }
    Files.write(weights, net.build().toByteArray());
    assertBadInput(dir.resolve("shape.prototxt"), weights + ": layer 'ip1'");
  }

  @Test
  void unknownCaffeLayerNamesTheFileAndTheLayer() throws IOException {
    Path dir = pair("unknown");
    Path prototxt = dir.resolve("unknown.prototxt");
    Files.writeString(prototxt,
        Files.readString(prototxt).replace("type: \"ReLU\"", "type: \"Swish\""));
    assertBadInput(prototxt, prototxt + ": layer 'relu1' has type 'Swish'");
  }

  @Test
  void frozenGraphWithAnUnfrozenVariableNamesTheFile() throws IOException {
    GraphDef.Builder g = GraphDef.newBuilder()
        .addNode(placeholder("x", 4))
        .addNode(NodeDef.newBuilder().setName("w").setOp("VariableV2")
            .putAttr("dtype", AttrValue.newBuilder().setType(DataType.DT_FLOAT).build())
            .putAttr("shape", AttrValue.newBuilder().setShape(shape(4, 3)).build()))
        .addNode(NodeDef.newBuilder().setName("y").setOp("MatMul").addInput("x").addInput("w"));
    Path pb = tmp.resolve("variable.pb");
    Files.write(pb, g.build().toByteArray());
    assertBadInput(pb, pb + ": not a frozen graph: node 'w'");
  }

  @Test
  void unknownTensorFlowOpNamesTheFileOpAndNode() throws IOException {
    GraphDef.Builder g = GraphDef.newBuilder()
        .addNode(placeholder("x", 4))
        .addNode(NodeDef.newBuilder().setName("wave").setOp("Cos").addInput("x"));
    Path pb = tmp.resolve("cos.pb");
    Files.write(pb, g.build().toByteArray());
    assertBadInput(pb, pb + ": node 'wave' has op 'Cos'");
  }

  private static void assertBadInput(Path model, String expectedStart) {
    for (String[] args : List.of(
        new String[] {"inspect", model.toString()},
        new String[] {"convert", model.toString(), "-o", model + ".onnx"})) {
      Result r = CliTest.run(args);
      assertEquals(Main.BAD_INPUT, r.exit(), r.err());
      assertTrue(r.err().startsWith("convoy: " + expectedStart), r.err());
      assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
    }
  }

  /** A copy of LeNet's pair under a new stem. */
  private Path pair(String stem) throws IOException {
    Path dir = Files.createDirectories(tmp.resolve(stem));
    Files.copy(caffe("lenet"), dir.resolve(stem + ".prototxt"));
    Files.copy(caffe("lenet").resolveSibling("lenet.caffemodel"), dir.resolve(stem + ".caffemodel"));
    return dir;
  }

  // ---- small GraphDefs written with TensorFlow's protos ----

  private static TensorShapeProto shape(long... dims) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (long d : dims) {
      s.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    }
    return s.build();
  }

  private static NodeDef placeholder(String name, long width) {
    return NodeDef.newBuilder().setName(name).setOp("Placeholder")
        .putAttr("dtype", AttrValue.newBuilder().setType(DataType.DT_FLOAT).build())
        .putAttr("shape", AttrValue.newBuilder().setShape(shape(-1, width)).build()).build();
  }

  private static NodeDef constant(String name, long... dims) {
    int n = (int) Tensor.numElements(dims);
    ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      b.putFloat((float) Math.sin(i + name.length()) * 0.5f);
    }
    TensorProto t = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
        .setTensorShape(shape(dims)).setTensorContent(ByteString.copyFrom(b.array())).build();
    return NodeDef.newBuilder().setName(name).setOp("Const")
        .putAttr("dtype", AttrValue.newBuilder().setType(DataType.DT_FLOAT).build())
        .putAttr("value", AttrValue.newBuilder().setTensor(t).build()).build();
  }

  private static NodeDef op(String name, String op, String... inputs) {
    NodeDef.Builder n = NodeDef.newBuilder().setName(name).setOp(op)
        .putAttr("T", AttrValue.newBuilder().setType(DataType.DT_FLOAT).build());
    for (String in : inputs) {
      n.addInput(in);
    }
    return n.build();
  }

  /** x [-1, 4] -> MatMul [4, 3] -> BiasAdd -> Relu -> Softmax. */
  private static GraphDef mlp() {
    return GraphDef.newBuilder()
        .addNode(placeholder("x", 4))
        .addNode(constant("w", 4, 3))
        .addNode(constant("b", 3))
        .addNode(op("mm", "MatMul", "x", "w"))
        .addNode(op("ba", "BiasAdd", "mm", "b"))
        .addNode(op("relu", "Relu", "ba"))
        .addNode(op("prob", "Softmax", "relu"))
        .build();
  }
}
