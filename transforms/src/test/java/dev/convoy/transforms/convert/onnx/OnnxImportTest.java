package dev.convoy.transforms.convert.onnx;

import static dev.convoy.transforms.convert.onnx.Protos.floatAttr;
import static dev.convoy.transforms.convert.onnx.Protos.floatInfo;
import static dev.convoy.transforms.convert.onnx.Protos.graphAttr;
import static dev.convoy.transforms.convert.onnx.Protos.model;
import static dev.convoy.transforms.convert.onnx.Protos.node;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.FunctionProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.GraphDiff;
import dev.convoy.ir.graph.HalfFloats;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.testing.TestData;
import dev.convoy.transforms.testing.OrtFixture;
import dev.convoy.transforms.verify.OrtVerifier;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** What the ONNX importer keeps, how it stores weights, and what the exporter writes. */
class OnnxImportTest {
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
  @RegisterExtension static final OrtFixture ORT = new OrtFixture();

  @TempDir Path tmp;

  @Test
  void typedTensorFieldsDecodeLikeRawData() {
    short half = HalfFloats.fromFloat(1.5f);
    short bf = HalfFloats.bfloat16FromFloat(-2f);
    List<TensorProto> protos = List.of(
        typed(1).addFloatData(1.5f).addFloatData(-2f).build(),
        typed(10).addInt32Data(half).addInt32Data(half).build(),
        typed(16).addInt32Data(bf).addInt32Data(bf).build(),
        typed(9).addInt32Data(1).addInt32Data(0).build(),
        typed(3).addInt32Data(-3).addInt32Data(5).build(),
        typed(4).addInt32Data(65535).addInt32Data(7).build(),
        typed(7).addInt64Data(1L << 40).addInt64Data(-1).build(),
        typed(11).addDoubleData(0.25).addDoubleData(-8).build(),
        typed(12).addUint64Data(4294967295L).addUint64Data(3).build(),
        typed(13).addUint64Data(-1L).addUint64Data(3).build(),
        typed(8).addStringData(ByteString.copyFromUtf8("a")).addStringData(ByteString.copyFromUtf8("bc")).build());
    List<Object> expected = List.of(
        new double[] {1.5, -2}, new double[] {1.5, 1.5}, new double[] {-2, -2},
        new long[] {1, 0}, new long[] {-3, 5}, new long[] {65535, 7}, new long[] {1L << 40, -1},
        new double[] {0.25, -8}, new long[] {4294967295L, 3}, new long[] {-1L, 3});
    for (int i = 0; i < protos.size(); i++) {
      Tensor t = OnnxTensors.fromProto(protos.get(i), null);
      assertArrayEquals(new long[] {2}, t.dims());
      if (t.dtype() == DType.STRING) {
        assertArrayEquals(new byte[][] {"a".getBytes(), "bc".getBytes()}, t.strings());
      } else if (expected.get(i) instanceof double[] d) {
        assertArrayEquals(d, t.toDoubleArray(), t.toString());
      } else {
        assertArrayEquals((long[]) expected.get(i), t.toLongArray(), t.toString());
      }
      assertEquals(t, OnnxTensors.fromProto(OnnxTensors.toProto(t, "x"), null), "raw round trip of " + t);
    }
  }

  private static TensorProto.Builder typed(int dataType) {
    return TensorProto.newBuilder().setName("t").setDataType(dataType).addDims(2);
  }

  @Test
  void pbFilesRoundTrip() {
    Tensor t = Tensor.ofFloats(new long[] {2, 2}, 1, 2, 3, 4);
    Path f = tmp.resolve("input_0.pb");
    OnnxTensors.writePb(t, "x", f);
    assertEquals(t, OnnxTensors.readPb(f));
    assertEquals("x", OnnxTensors.readPbName(f));
  }

  @Test
  void initializersListedAsInputsStayInitializers() throws Exception {
    Path model = TestData.devModels().resolve("light_resnet50.onnx");
    Graph g = OnnxImporter.importFile(model);
    assertEquals(1, g.inputs().size(), "real inputs of an IR 3 model");
    assertTrue(g.initializers().size() > 100);
    // IR < 4 requires initializers among the inputs again on export.
    ModelProto out = ModelProto.parseFrom(OnnxExporter.toBytes(g));
    assertEquals(3, out.getIrVersion());
    assertEquals(1 + g.initializers().size(), out.getGraph().getInputCount());
  }

  @Test
  void rawDataInTheModelFileIsMappedNotCopied() {
    Path model = TestData.devModels().resolve("mobilenet_v2.onnx");
    long before = THREADS.getThreadAllocatedBytes(Thread.currentThread().getId());
    Graph g = OnnxImporter.importFile(model);
    long allocated = THREADS.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
    long weights = g.initializers().stream().mapToLong(v -> v.constant().byteSize()).sum();
    System.out.printf("mobilenet_v2: %d bytes of weights, import allocated %d bytes%n", weights, allocated);
    assertTrue(g.initializers().stream().allMatch(v -> v.constant().isMapped()));
    assertTrue(allocated < weights / 4, "import allocated " + allocated + " bytes for " + weights + " of weights");
  }

  @Test
  void externalWeightsAreMappedWithoutHeap() throws IOException {
    long tensorBytes = 100L << 20;
    Path data = tmp.resolve("big.bin");
    try (RandomAccessFile f = new RandomAccessFile(data.toFile(), "rw")) {
      f.setLength(3 * tensorBytes); // sparse: no disk or time spent on zeros
      f.seek(2 * tensorBytes);
      f.write(floatBytes(1.5f));
    }
    Path model = identitiesOfExternalWeights("big", tensorBytes);

    long before = THREADS.getThreadAllocatedBytes(Thread.currentThread().getId());
    Graph imported = OnnxImporter.importFile(model);
    long allocated = THREADS.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
    System.out.printf("300 MiB of external weights: import allocated %d bytes%n", allocated);
    assertTrue(allocated < (8L << 20), "import allocated " + allocated + " bytes");
    for (Value w : imported.initializers()) {
      assertTrue(w.constant().isMapped(), w.name());
      assertEquals(tensorBytes, w.constant().byteSize());
    }
    assertEquals(1.5f, imported.initializer("w2").constant().data().getFloat(0));
  }

  @Test
  void modelsOver2GiBNeedExternalData() throws IOException {
    long tensorBytes = 720L << 20;
    try (RandomAccessFile f = new RandomAccessFile(tmp.resolve("huge.bin").toFile(), "rw")) {
      f.setLength(3 * tensorBytes);
    }
    Path in = identitiesOfExternalWeights("huge", tensorBytes);
    Graph imported = OnnxImporter.importFile(in);
    assertTrue(OnnxExporter.tensorBytes(imported) > OnnxExporter.EXTERNAL_DATA_THRESHOLD);
    var e = assertThrows(ConvoyException.class, () -> OnnxExporter.toBytes(imported));
    assertTrue(e.getMessage().contains("external data"), e.getMessage());
  }

  @Test
  void writeAboveTheLimitUsesExternalDataThatOrtLoads() throws IOException {
    Path model = TestData.devModels().resolve("mobilenet_v2.onnx");
    Graph g = OnnxImporter.importFile(model);
    Path out = tmp.resolve("mobilenet_ext.onnx");
    OnnxExporter.write(g, out, 1L << 20);
    assertTrue(Files.size(out) < Files.size(model) / 10, "weights moved to the sidecar");
    assertTrue(Files.size(tmp.resolve("mobilenet_ext.onnx.data")) >= OnnxExporter.tensorBytes(g) / 2);
    Map<String, Tensor> inputs = OnnxRoundTripTest.readInputs(
        TestData.devModels().resolve("mobilenet_v2.ref/test_data_set_0"), g);
    var v = OrtVerifier.compareOutputs(
        ORT.verifier().run(model, inputs), ORT.verifier().run(out, inputs),
        OrtVerifier.Tolerance.DEFAULT);
    assertTrue(v.bitIdentical(), v.firstFailure());
    Graph again = OnnxImporter.importFile(out);
    assertNull(GraphDiff.first(g, again));
    assertTrue(again.initializers().stream().allMatch(w -> w.constant().isMapped()));
  }

  @Test
  void localFunctionsAreInlinedWithAttributeReferences() {
    AttributeProto alphaRef = AttributeProto.newBuilder()
        .setName("value_float").setType(AttributeProto.AttributeType.FLOAT).setRefAttrName("alpha").build();
    FunctionProto scaledAdd = FunctionProto.newBuilder()
        .setName("ScaledAdd").setDomain("local")
        .addInput("X").addInput("Y").addOutput("Z").addAttribute("alpha")
        .addNode(node("scale", "Constant", List.of(), List.of("a"), alphaRef))
        .addNode(node("sum", "Add", List.of("X", "Y"), List.of("s")))
        .addNode(node("mul", "Mul", List.of("s", "a"), List.of("Z")))
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
        .build();
    AttributeProto kRef = AttributeProto.newBuilder()
        .setName("alpha").setType(AttributeProto.AttributeType.FLOAT).setRefAttrName("k").build();
    FunctionProto twice = FunctionProto.newBuilder()
        .setName("Twice").setDomain("local")
        .addInput("A").addInput("B").addOutput("C")
        .addAttributeProto(floatAttr("k", 0.5f))
        .addNode(call("first", "ScaledAdd", List.of("A", "B"), List.of("r"), kRef))
        .addNode(call("second", "ScaledAdd", List.of("r", "B"), List.of("C"), floatAttr("alpha", 3f)))
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("local").setVersion(1))
        .build();
    GraphProto g = GraphProto.newBuilder()
        .addInput(floatInfo("x", 4)).addInput(floatInfo("y", 4))
        .addNode(call("n1", "ScaledAdd", List.of("x", "y"), List.of("t"), floatAttr("alpha", 2f)))
        .addNode(call("n2", "Twice", List.of("t", "y"), List.of("z")))
        .addOutput(floatInfo("z", 4))
        .build();
    ModelProto m = model(g, 13).toBuilder()
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("local").setVersion(1))
        .addFunctions(scaledAdd).addFunctions(twice)
        .build();
    Graph imported = OnnxImporter.importBytes(m.toByteArray(), "functions.onnx", null);
    assertEquals(9, imported.nodes().size());
    assertTrue(imported.nodes().stream().allMatch(n -> n.domain().isEmpty()), "no calls left");
    List<Float> scales = imported.nodes().stream().filter(n -> n.is("Constant"))
        .map(n -> n.floatAttr("value_float", Float.NaN)).toList();
    assertEquals(List.of(2f, 0.5f, 3f), scales);
    Set<String> names = new HashSet<>();
    imported.forEachNode(n -> n.outputs().forEach(o -> assertTrue(names.add(o.name()), o.name())));

    Map<String, Tensor> inputs = Map.of(
        "x", Tensor.ofFloats(new long[] {4}, 1, 2, 3, 4),
        "y", Tensor.ofFloats(new long[] {4}, 0.5f, -1, 0, 2));
    var v = ORT.verifier().compare(m.toByteArray(), OnnxExporter.toBytes(imported), inputs);
    assertTrue(v.pass(), v.firstFailure());
    // ((x + y) * 2 + y) * 0.5 + y) * 3 at x=1, y=0.5: ((3 + 0.5) * 0.5 + 0.5) * 3 = 6.75
    assertEquals(6.75f,
        ORT.verifier().run(OnnxExporter.toBytes(imported), inputs).get("z").data().getFloat(0));
  }

  private static NodeProto call(String name, String op, List<String> in, List<String> out,
      AttributeProto... attributes) {
    return node(name, op, in, out, attributes).toBuilder().setDomain("local").build();
  }

  @Test
  void outOfOrderNodesAreSortedTopologically() {
    GraphProto g = GraphProto.newBuilder()
        .addInput(floatInfo("x", 3))
        .addNode(node("last", "Relu", List.of("b"), List.of("y")))
        .addNode(node("middle", "Mul", List.of("a", "a"), List.of("b")))
        .addNode(node("first", "Neg", List.of("x"), List.of("a")))
        .addOutput(floatInfo("y", 3))
        .build();
    Graph imported = OnnxImporter.importBytes(model(g, 13).toByteArray(), "unsorted.onnx", null);
    assertEquals(List.of("first", "middle", "last"), imported.nodes().stream().map(Node::name).toList());
    Map<String, Tensor> inputs = Map.of("x", Tensor.ofFloats(new long[] {3}, -1, 2, 0.5f));
    var v = ORT.verifier().compare(
        model(g, 13).toByteArray(), OnnxExporter.toBytes(imported), inputs);
    assertTrue(v.bitIdentical(), v.firstFailure());
  }

  @Test
  void siblingBranchesReusingNamesGetUniqueNames() {
    GraphProto then = GraphProto.newBuilder().setName("then")
        .addNode(node("a", "Relu", List.of("x"), List.of("t")))
        .addOutput(floatInfo("t", 3)).build();
    GraphProto otherwise = GraphProto.newBuilder().setName("else")
        .addNode(node("b", "Neg", List.of("x"), List.of("t")))
        .addOutput(floatInfo("t", 3)).build();
    GraphProto g = GraphProto.newBuilder()
        .addInput(floatInfo("x", 3))
        .addInput(ValueInfoProto.newBuilder().setName("c").setType(
            ai.onnx.proto.OnnxMl.TypeProto.newBuilder().setTensorType(
                ai.onnx.proto.OnnxMl.TypeProto.Tensor.newBuilder().setElemType(9)
                    .setShape(ai.onnx.proto.OnnxMl.TensorShapeProto.newBuilder()))))
        .addNode(node("if", "If", List.of("c"), List.of("y"),
            graphAttr("then_branch", then), graphAttr("else_branch", otherwise)))
        .addOutput(floatInfo("y", 3))
        .build();
    byte[] original = model(g, 13).toByteArray();
    Graph imported = OnnxImporter.importBytes(original, "branches.onnx", null);
    List<String> branchOutputs = new ArrayList<>();
    imported.nodes().get(0).subgraphs().forEach(s -> branchOutputs.add(s.outputs().get(0).name()));
    assertNotEquals(branchOutputs.get(0), branchOutputs.get(1));
    Value captured = imported.nodes().get(0).subgraphs().get(0).nodes().get(0).input(0);
    assertEquals(imported, captured.owner(), "x is captured from the main graph");
    byte[] exported = OnnxExporter.toBytes(imported);
    assertNull(GraphDiff.first(imported, OnnxImporter.importBytes(exported, "again", null)));
    for (boolean cond : new boolean[] {true, false}) {
      Map<String, Tensor> inputs = Map.of(
          "x", Tensor.ofFloats(new long[] {3}, -1, 2, 0.5f),
          "c", Tensor.ofBools(new long[0], cond));
      var v = ORT.verifier().compare(original, exported, inputs);
      assertTrue(v.bitIdentical(), v.firstFailure());
    }
  }

  @Test
  void subgraphNodesReadOuterValuesByReference() {
    Graph g = OnnxImporter.importFile(TestData.devModels().resolve("silero_vad_v4.onnx"));
    int[] captures = {0};
    g.forEachNode(n -> {
      for (Value in : n.inputs()) {
        if (in != null && in.owner() != n.graph()) {
          captures[0]++;
          assertTrue(in.uses().stream().anyMatch(u -> u.node() == n), "use recorded for " + in);
        }
      }
    });
    assertTrue(captures[0] > 0, "silero's If branches read outer values");
    assertEquals(250, g.totalNodeCount());
  }

  @Test
  void modelInfoOpsetsAndMetadataSurviveTheRoundTrip() {
    GraphProto g = GraphProto.newBuilder().setName("meta").setDocString("graph doc")
        .addInput(floatInfo("x", 2))
        .addNode(node("r", "Relu", List.of("x"), List.of("y")).toBuilder().setDocString("node doc").build())
        .addValueInfo(floatInfo("unused_info", 2))
        .addOutput(floatInfo("y", 2))
        .build();
    ModelProto m = model(g, 13).toBuilder()
        .setProducerVersion("1.2").setDomain("dev.convoy").setModelVersion(7).setDocString("model doc")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("ai.onnx.ml").setVersion(3))
        .addMetadataProps(StringStringEntryProto.newBuilder().setKey("author").setValue("me"))
        .build();
    Graph imported = OnnxImporter.importBytes(m.toByteArray(), "meta.onnx", null);
    assertEquals("model doc", imported.info().docString());
    assertEquals(7, imported.info().modelVersion());
    assertEquals(Map.of("", 13L, "ai.onnx.ml", 3L), imported.opsets());
    assertEquals("me", imported.metadata().get("author"));
    assertEquals("node doc", imported.nodes().get(0).docString());
    Graph again = OnnxImporter.importBytes(OnnxExporter.toBytes(imported), "again", null);
    assertNull(GraphDiff.first(imported, again));
  }

  @Test
  void sparseTensorsAndEveryAttributeKindRoundTrip() {
    TensorProto values = Protos.floats("s", new long[] {2}, 5, 7);
    TensorProto indices = TensorProto.newBuilder().setName("s_idx").setDataType(7).addDims(2)
        .addInt64Data(1).addInt64Data(3).build();
    var sparse = ai.onnx.proto.OnnxMl.SparseTensorProto.newBuilder()
        .setValues(values).setIndices(indices).addDims(4).build();
    var typeProto = ai.onnx.proto.OnnxMl.TypeProto.newBuilder().setSequenceType(
        ai.onnx.proto.OnnxMl.TypeProto.Sequence.newBuilder().setElemType(
            Protos.floatInfo("e", 2).getType())).build();
    NodeProto constant = node("c", "Constant", List.of(), List.of("dense"),
        AttributeProto.newBuilder().setName("sparse_value")
            .setType(AttributeProto.AttributeType.SPARSE_TENSOR).setSparseTensor(sparse).build());
    NodeProto custom = node("k", "Custom", List.of("x", "", "s"), List.of("u", ""),
        AttributeProto.newBuilder().setName("strings").setType(AttributeProto.AttributeType.STRINGS)
            .addStrings(ByteString.copyFromUtf8("a")).addStrings(ByteString.copyFromUtf8("")).build(),
        AttributeProto.newBuilder().setName("tensors").setType(AttributeProto.AttributeType.TENSORS)
            .addTensors(values).build(),
        AttributeProto.newBuilder().setName("types").setType(AttributeProto.AttributeType.TYPE_PROTOS)
            .addTypeProtos(typeProto).build(),
        AttributeProto.newBuilder().setName("type").setType(AttributeProto.AttributeType.TYPE_PROTO)
            .setTp(typeProto).build(),
        AttributeProto.newBuilder().setName("floats").setType(AttributeProto.AttributeType.FLOATS)
            .addFloats(Float.NaN).addFloats(-0f).build(),
        AttributeProto.newBuilder().setName("untyped").setI(3).build())
        .toBuilder().setDomain("com.example").build();
    GraphProto g = GraphProto.newBuilder()
        .addInput(floatInfo("x", 4))
        .addSparseInitializer(sparse)
        .addNode(constant)
        .addNode(custom)
        .addOutput(floatInfo("dense", 4))
        .addOutput(floatInfo("u", 4))
        .build();
    ModelProto m = model(g, 13).toBuilder()
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("com.example").setVersion(1)).build();
    Graph imported = OnnxImporter.importBytes(m.toByteArray(), "kinds.onnx", null);
    assertArrayEquals(new double[] {0, 5, 0, 7}, imported.initializer("s").constant().toDoubleArray());
    Node k = imported.nodes().get(1);
    assertEquals(null, k.input(1), "omitted optional input");
    assertEquals(null, k.output(1), "omitted optional output");
    assertEquals(3, k.intAttr("untyped", 0));
    assertTrue(k.attribute("type").orElseThrow() instanceof dev.convoy.ir.graph.Attribute.TypeAttr t
        && t.value() instanceof dev.convoy.ir.graph.ValueType.SequenceType);
    assertTrue(imported.nodes().get(0).attribute("sparse_value").orElseThrow()
        instanceof dev.convoy.ir.graph.Attribute.SparseTensorAttr);
    Graph again = OnnxImporter.importBytes(OnnxExporter.toBytes(imported), "again", null);
    assertNull(GraphDiff.first(imported, again));
  }

  /**
   * Writes graph {@code name} to {@code tmp/<name>.onnx}: three float weights of {@code
   * tensorBytes} each, stored one after the other in {@code <name>.bin} (which the caller writes),
   * each read by an Identity that makes it an output.
   */
  private Path identitiesOfExternalWeights(String name, long tensorBytes) throws IOException {
    GraphProto.Builder g = GraphProto.newBuilder().setName(name);
    for (int i = 0; i < 3; i++) {
      g.addInitializer(external("w" + i, tensorBytes / 4, name + ".bin", i * tensorBytes));
      g.addNode(node("id" + i, "Identity", List.of("w" + i), List.of("y" + i)));
      g.addOutput(floatInfo("y" + i, tensorBytes / 4));
    }
    Path model = tmp.resolve(name + ".onnx");
    Files.write(model, model(g.build(), 13).toByteArray());
    return model;
  }

  private static TensorProto external(String name, long elements, String location, long offset) {
    return TensorProto.newBuilder()
        .setName(name).setDataType(1).addDims(elements)
        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
        .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(location))
        .addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue(Long.toString(offset)))
        .addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue(Long.toString(elements * 4)))
        .build();
  }

  private static byte[] floatBytes(float v) {
    return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v).array();
  }
}
