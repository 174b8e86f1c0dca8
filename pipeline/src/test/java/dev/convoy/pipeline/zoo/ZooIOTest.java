package dev.convoy.pipeline.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.testing.TestData;
import dev.convoy.pipeline.Zoos;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ZooIOTest {
  @TempDir Path tmp;

  @Test
  void folderScanIsRecursiveAndSniffsContentNotExtension() throws Exception {
    Map<String, ModelRef> refs = byName(ZooIO.list(Zoos.mixed(tmp)));
    // notes.txt is skipped; renamed_conv.bin is found by its content.
    assertEquals(List.of("empty", "light_inception_v1", "notonnx", "optest_conv_bn_relu", "random",
        "renamed_conv", "small_cnn_qdq", "truncated", "truncated_model", "unknown_op"),
        List.copyOf(refs.keySet()));
    assertEquals("onnx", refs.get("renamed_conv").format());
    assertEquals("onnx", refs.get("truncated_model").format());
    assertEquals(ModelRef.UNKNOWN_FORMAT, refs.get("empty").format());
    assertEquals(ModelRef.UNKNOWN_FORMAT, refs.get("notonnx").format());
    assertEquals(0, refs.get("empty").sizeBytes());
    assertTrue(refs.get("unknown_op").path().endsWith("broken/unknown_op.onnx"));
  }

  @Test
  void oracleArgsBesideAModelGiveItsInputShapes() {
    Map<String, ModelRef> refs = byName(ZooIO.list(Zoos.bundled()));
    assertEquals(List.of("light_inception_v1", "optest_conv_bn_relu", "redundant_mlp_nofold",
        "small_cnn_qdq", "super_resolution"), List.copyOf(refs.keySet()));
    assertEquals(Map.of("input", List.of(1L, 1L, 224L, 224L)),
        refs.get("super_resolution").inputShapes());
    assertEquals(Map.of(), refs.get("light_inception_v1").inputShapes());
  }

  @Test
  void devManifestCsvGivesEveryModelWithItsKindAsTag() {
    Path manifest = TestData.devModels().resolve("MANIFEST.csv");
    Map<String, ModelRef> refs = byName(ZooIO.list(manifest));
    assertEquals(23, refs.size());
    ModelRef silero = refs.get("silero_vad_v4");
    assertEquals(List.of("control-flow"), silero.tags());
    assertEquals(List.of(), silero.inputShapes().get("sr"));
    assertEquals("onnx", silero.format());
    assertEquals(1807522, silero.sizeBytes());
  }

  @Test
  void yamlManifestOverridesShapesAndNames() throws Exception {
    Path bundled = Zoos.bundled();
    Files.copy(bundled.resolve("super_resolution.onnx"), tmp.resolve("sr.onnx"));
    Files.copy(bundled.resolve("super_resolution.onnx.oracle.args"),
        tmp.resolve("sr.onnx.oracle.args"));
    Path yaml = Files.writeString(tmp.resolve("zoo.yaml"), """
        models:
          - path: sr.onnx
            name: upscaler
            tags: [cnn, nightly]
            input_shapes:
              input: 1x1x64x64
        """);
    ModelRef r = ZooIO.list(yaml).get(0);
    assertEquals("upscaler", r.name());
    assertEquals(List.of("cnn", "nightly"), r.tags());
    assertEquals(Map.of("input", List.of(1L, 1L, 64L, 64L)), r.inputShapes());
  }

  @Test
  void contentWinsOverADeclaredFormat() throws Exception {
    Files.copy(Zoos.bundled().resolve("optest_conv_bn_relu.onnx"), tmp.resolve("m.bin"));
    Files.writeString(tmp.resolve("junk.bin"), "junk");
    Path csv = Files.writeString(tmp.resolve("m.csv"),
        "path,format,name\nm.bin,cvy,conv\njunk.bin,cvy,junk\n");
    Map<String, ModelRef> refs = byName(ZooIO.list(csv));
    assertEquals("onnx", refs.get("conv").format());
    assertEquals("cvy", refs.get("junk").format());
  }

  @Test
  void yamlShapeListWithANegativeOrFractionalDimNamesTheFileAndEntry() throws Exception {
    for (String dims : new String[] {"[1, -3]", "[1, 2.5]", "[1, abc]"}) {
      Path yaml = Files.writeString(tmp.resolve("zoo.yaml"), """
          models:
            - path: a.onnx
            - path: b.onnx
              input_shapes:
                x: DIMS
          """.replace("DIMS", dims));
      ConvoyException e = org.junit.jupiter.api.Assertions.assertThrows(ConvoyException.class,
          () -> ZooIO.list(yaml), dims);
      assertTrue(e.getMessage().startsWith(yaml + " entry 2: bad dimension '"), e.getMessage());
    }
  }

  @Test
  void badManifestShapeNamesTheLine() throws Exception {
    Path csv = Files.writeString(tmp.resolve("m.csv"), "path,input_shapes\nx.onnx,input=1xAx3\n");
    ConvoyException e = org.junit.jupiter.api.Assertions.assertThrows(ConvoyException.class,
        () -> ZooIO.list(csv));
    assertTrue(e.getMessage().contains("m.csv line 2"), e.getMessage());
  }

  @Test
  void readEmitsOneReferencePerModel() {
    Path zoo = Zoos.bundled();
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    PCollection<ModelRef> refs = p.apply(ZooIO.read(zoo));
    PAssert.that(refs).containsInAnyOrder(ZooIO.list(zoo));
    p.run().waitUntilFinish();
  }

  private static Map<String, ModelRef> byName(List<ModelRef> refs) {
    return refs.stream().collect(Collectors.toMap(ModelRef::name, Function.identity(),
        (a, b) -> a, java.util.LinkedHashMap::new));
  }
}
