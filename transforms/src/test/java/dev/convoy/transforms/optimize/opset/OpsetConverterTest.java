package dev.convoy.transforms.optimize.opset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.testing.TestData;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.Optimizer;
import dev.convoy.transforms.optimize.Target;
import dev.convoy.transforms.testing.OrtFixture;
import dev.convoy.transforms.verify.OracleArgs;
import dev.convoy.transforms.verify.SeededInputs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The opset converter keeps what a model computes: ONNX Runtime runs the original (at its own
 * opset) and the converted model on the same seeded inputs and every output agrees within rtol
 * 1e-4 / atol 1e-5. Every dev model goes up to the newest opset ONNX Runtime 1.28 loads (26), the
 * older ones also to 13, and the models that can go down to 11 do; small graphs pin each adapter
 * whose semantics is subtle (Softmax's axis, Resize 10's coordinates, attributes become inputs).
 */
class OpsetConverterTest {
  @RegisterExtension static final OrtFixture ORT = new OrtFixture();

  /** The newest default-domain opset ONNX Runtime 1.28 loads (27 is refused as unreleased). */
  static final int ORT_MAX_OPSET = 26;

  /** Dev models at opset 13 or more that must convert down to 11 (the others use newer ops). */
  static final Set<String> DOWN_TO_11 = Set.of("mobilenet_v2", "squeezenet1_1", "loop_rnn",
      "redundant_mlp_nofold", "optest_conv_bn_relu", "optest_gelu_erf_chain",
      "shufflenet_v2_x0_5_nofold", "tiny_vit", "oww_melspectrogram", "super_resolution");

  @TestFactory
  Stream<DynamicTest> everyDevModelConvertsUpToTheNewestOpsetOrtLoads() {
    return TestData.devModelFiles().stream().map(p -> DynamicTest.dynamicTest(
        p.getFileName().toString(), () -> checkDevModel(p, ORT_MAX_OPSET)));
  }

  @TestFactory
  Stream<DynamicTest> olderDevModelsConvertUpTo13() {
    return TestData.devModelFiles().stream()
        .filter(p -> OnnxImporter.importFile(p).opsetVersion("") < 13)
        .map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> checkDevModel(p, 13)));
  }

  @TestFactory
  Stream<DynamicTest> devModelsConvertDownTo11() {
    return DOWN_TO_11.stream().sorted()
        .map(name -> TestData.devModels().resolve(name + ".onnx"))
        .map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> checkDevModel(p, 11)));
  }

  @Test
  void refusesAnOpTheOlderOpsetLacks() {
    Graph g = GraphParser.parse("""
        graph g (%x: float32[2,4]) -> (%y: float32[2,4]) {
          opset "" 20
          %y = Gelu(%x) @gelu
        }
        """);
    var e = assertThrows(OpsetConversionException.class, () -> convert(g, 17));
    assertTrue(e.getMessage().contains("Gelu") && e.getMessage().contains("does not exist"),
        e.getMessage());
  }

  @Test
  void refusesPerChannelQuantizationBelow13() {
    Graph g = OnnxImporter.importFile(TestData.devModels().resolve("small_cnn_qdq.onnx"));
    var e = assertThrows(OpsetConversionException.class, () -> convert(g, 12));
    assertTrue(e.getMessage().contains("per-axis"), e.getMessage());
  }

  @Test
  void refusesNonConstantAxesGoingDown() {
    Graph g = GraphParser.parse("""
        graph g (%x: float32[2,1,4], %axes: int64[1]) -> (%y: float32[?,?]) {
          opset "" 13
          %y = Squeeze(%x, %axes) @squeeze
        }
        """);
    var e = assertThrows(OpsetConversionException.class, () -> convert(g, 12));
    assertTrue(e.getMessage().contains("not a constant"), e.getMessage());
  }

  @Test
  void softmaxOverAMiddleAxisKeepsItsOldMeaningAt13() throws Exception {
    checkSmall("""
        graph g (%x: float32[2,3,4]) -> (%y: float32[2,3,4], %z: float32[2,3,4]) {
          opset "" 11
          %y = Softmax(%x) @softmax_default_axis
          %z = LogSoftmax(%x) {axis=2} @logsoftmax_last
        }
        """, ORT_MAX_OPSET);
  }

  @Test
  void resize10NearestKeepsItsCoordinatesAt11() throws Exception {
    checkSmall("""
        graph g (%x: float32[1,1,4,4]) -> (%y: float32[1,1,12,12], %z: float32[1,1,12,12]) {
          opset "" 10
          init %scales: float32[4] = [1.0, 1.0, 3.0, 3.0]
          %y = Resize(%x, %scales) {mode="nearest"} @nearest
          %z = Resize(%x, %scales) {mode="linear"} @linear
        }
        """, ORT_MAX_OPSET);
  }

  /**
   * Found by the differential test (cnn-5176): a ceil-mode AveragePool counting pads whose last
   * window overhangs the padded input divides by the kernel size up to opset 18 and by the covered
   * positions from 19; converted up as it was, ONNX Runtime's result changed (3.5 became 7.0).
   * Such a pool written at 19 cannot go down to 18.
   */
  @Test
  void ceilModeAveragePoolKeepsItsDivisorsAcross19() throws Exception {
    String model = """
        graph g (%x: float32[1,2,6,7]) -> (%y: float32[1,2,3,4], %z: float32[1,2,4,4]) {
          opset "" 18
          %y = AveragePool(%x) {kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1, count_include_pad=1} @overhangs
          %z = AveragePool(%x) {kernel_shape=[3, 2], strides=[2, 2], pads=[1, 0, 1, 0], ceil_mode=1, count_include_pad=1} @padded
        }
        """;
    checkSmall(model, 19);
    checkSmall(model, ORT_MAX_OPSET);
    Graph at19 = GraphParser.parse(model.replace("opset \"\" 18", "opset \"\" 19"));
    var e = assertThrows(OpsetConversionException.class, () -> convert(at19, 18));
    assertTrue(e.getMessage().contains("reaches past the padded input"), e.getMessage());
  }

  @Test
  void ceilModeAveragePoolWithADynamicBatchConvertsOnItsSpatialSizes() throws Exception {
    // cnn-41887: only the batch is symbolic; the divisors depend on the spatial sizes alone.
    String model = """
        graph g (%x: float32[N,2,6,7]) -> (%y: float32[N,2,3,4]) {
          opset "" 18
          %y = AveragePool(%x) {kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1, count_include_pad=1} @overhangs
        }
        """;
    for (long n : new long[] {1, 3}) {
      checkSmall(model, 19, Map.of("x", new long[] {n, 2, 6, 7}));
      checkSmall(model, ORT_MAX_OPSET, Map.of("x", new long[] {n, 2, 6, 7}));
    }
  }

  @Test
  void attributesBecomeInputsAndBackAgain() throws Exception {
    String model = """
        graph g (%x: float32[2,1,6]) -> (%a: float32[2,6], %b: float32[2,1,1,6], %c: float32[1,1,6],
            %d: float32[2,1,3], %e: float32[2,1,3], %f: float32[2,3,10], %g: float32[2,1,6],
            %h: float32[2,1,1]) {
          opset "" 9
          %a = Squeeze(%x) {axes=[1]} @squeeze
          %b = Unsqueeze(%x) {axes=[2]} @unsqueeze
          %c = ReduceMean(%x) {axes=[0]} @mean
          %d, %e = Split(%x) {axis=2, split=[3, 3]} @split
          %f = Pad(%x) {pads=[0, 1, 2, 0, 1, 2], value=1.5} @pad
          %g = Clip(%x) {min=-0.5, max=0.5} @clip
          %h = Slice(%x) {starts=[1], ends=[2], axes=[2]} @slice
        }
        """;
    checkSmall(model, ORT_MAX_OPSET);
    Graph original = GraphParser.parse(model);
    Graph up = convert(original, ORT_MAX_OPSET);
    assertEquals(inputCount(original) + 11, inputCount(up), "attributes did not become inputs");
    Graph down = convert(up, 9);
    assertEquals(original.opHistogram(), down.opHistogram());
    assertEquals(inputCount(original), inputCount(down), "inputs did not become attributes");
    var inputs = SeededInputs.generate(original, Map.of());
    var v = ORT.verifier().compare(
        OnnxExporter.toBytes(original), OnnxExporter.toBytes(down), inputs);
    assertTrue(v.pass(), "down to 9: " + v.firstFailure());
  }

  private static int inputCount(Graph g) {
    return g.nodes().stream().mapToInt(n -> (int) n.inputs().stream().filter(v -> v != null).count())
        .sum();
  }

  private static Graph convert(Graph g, int target) {
    return Optimizer.optimize(g, OptimizeOptions.atLevel(Level.O0)
        .withTarget(Target.STANDARD.withOpset(target))).graph();
  }

  private static void checkSmall(String text, int target) throws Exception {
    checkSmall(text, target, Map.of());
  }

  private static void checkSmall(String text, int target, Map<String, long[]> shapes)
      throws Exception {
    Graph original = GraphParser.parse(text);
    Graph converted = convert(original, target);
    assertEquals(target, converted.opsetVersion(""));
    Map<String, Tensor> inputs = SeededInputs.generate(original, shapes);
    var v = ORT.verifier().compare(
        OnnxExporter.toBytes(original), OnnxExporter.toBytes(converted), inputs);
    assertTrue(v.pass(), "opset " + target + ": " + v.firstFailure());
  }

  private static void checkDevModel(Path model, int target) throws Exception {
    Graph original = OnnxImporter.importFile(model);
    Map<String, long[]> shapes = OracleArgs.read(model).shapes();
    Graph converted = convert(original, target);
    assertEquals(target, converted.opsetVersion(""));
    Map<String, Tensor> inputs = SeededInputs.generate(original, shapes);
    var v = ORT.verifier().compare(
        Files.readAllBytes(model), OnnxExporter.toBytes(converted), inputs);
    assertTrue(v.pass(), model + " at opset " + target + ": " + v.firstFailure());
  }
}
