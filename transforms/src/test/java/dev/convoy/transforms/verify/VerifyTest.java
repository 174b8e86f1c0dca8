package dev.convoy.transforms.verify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.testing.TestData;
import dev.convoy.transforms.testing.OrtFixture;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Oracle args, seeded inputs and the ONNX Runtime comparison. */
class VerifyTest {
  @RegisterExtension static final OrtFixture ORT = new OrtFixture();

  @TempDir Path tmp;

  @Test
  void oracleArgsReadShapesInFileOrder() throws IOException {
    Path model = tmp.resolve("m.onnx");
    Files.writeString(OracleArgs.fileFor(model),
        "# shapes\n\ninput_ids=1x16\nonnx::Flatten_0=2x3x4\nsr=scalar\n");
    OracleArgs args = OracleArgs.read(model);
    assertEquals(List.of("input_ids", "onnx::Flatten_0", "sr"), List.copyOf(args.shapes().keySet()));
    assertArrayEquals(new long[] {2, 3, 4}, args.shapes().get("onnx::Flatten_0"));
    assertArrayEquals(new long[0], args.shapes().get("sr"));
    assertTrue(OracleArgs.read(tmp.resolve("other.onnx")).isEmpty());
  }

  @Test
  void oracleArgsRejectMalformedLinesWithFileAndLine() throws IOException {
    Path model = tmp.resolve("bad.onnx");
    Files.writeString(OracleArgs.fileFor(model), "x=1x16\ny=1x-3\n");
    var e = assertThrows(InvalidModelException.class, () -> OracleArgs.read(model));
    assertTrue(e.getMessage().startsWith(OracleArgs.fileFor(model) + ":2: "), e.getMessage());
  }

  @Test
  void seededInputsFollowTheValueRulesAndRepeat() {
    Graph g = new Graph();
    g.addInput("image", ValueType.TensorType.of(DType.FLOAT, 1, 3, 4, 4));
    g.addInput("audio", new ValueType.TensorType(DType.FLOAT, Shape.of(Dim.of(1), Dim.of("n"))));
    g.addInput("attention_mask", ValueType.TensorType.of(DType.INT64, 1, 8));
    g.addInput("token_type_ids", ValueType.TensorType.of(DType.INT64, 1, 8));
    g.addInput("input_ids", ValueType.TensorType.of(DType.INT64, 1, 64));
    g.addInput("sr", ValueType.TensorType.of(DType.INT64));
    g.addInput("other", ValueType.TensorType.of(DType.INT32, 64));
    Map<String, Tensor> in = SeededInputs.generate(g, Map.of("audio", new long[] {1, 512}));
    assertEquals(in, SeededInputs.generate(g, Map.of("audio", new long[] {1, 512})), "deterministic");
    assertTrue(all(in.get("image").toDoubleArray(), v -> v >= 0 && v < 1));
    double[] audio = in.get("audio").toDoubleArray();
    assertEquals(512, audio.length);
    assertTrue(all(audio, v -> v >= -1 && v < 1) && !all(audio, v -> v >= 0), "audio in [-1, 1)");
    assertTrue(all(in.get("attention_mask").toDoubleArray(), v -> v == 1));
    assertTrue(all(in.get("token_type_ids").toDoubleArray(), v -> v == 0));
    assertTrue(all(in.get("input_ids").toDoubleArray(), v -> v >= 0 && v < 1000)
        && !all(in.get("input_ids").toDoubleArray(), v -> v < 4));
    assertEquals(16000, in.get("sr").toLongArray()[0]);
    assertTrue(all(in.get("other").toDoubleArray(), v -> v >= 0 && v < 4));
    var e = assertThrows(ConvoyException.class, () -> SeededInputs.generate(g, Map.of()));
    assertTrue(e.getMessage().contains("input 'audio'") && e.getMessage().contains("dynamic n"), e.getMessage());
  }

  private static boolean all(double[] values, java.util.function.DoublePredicate p) {
    return java.util.Arrays.stream(values).allMatch(p);
  }

  @Test
  void seededInputsRunEveryDevModelWithItsOracleArgs() throws IOException {
    int ran = 0;
    for (Path model : TestData.devModelFiles()) {
      Graph g = OnnxImporter.importFile(model);
      Map<String, Tensor> inputs = SeededInputs.generate(g, OracleArgs.read(model).shapes());
      var v = ORT.verifier().compare(Files.readAllBytes(model), OnnxExporter.toBytes(g), inputs);
      assertTrue(v.pass() && v.bitIdentical(), model + ": " + v.firstFailure());
      ran++;
    }
    assertEquals(TestData.devModelFiles().size(), ran);
  }

  @Test
  void comparisonMeasuresErrorsAndAppliesTolerances() {
    Tensor a = Tensor.ofFloats(new long[] {4}, 1, 2, 0, -4);
    Tensor close = Tensor.ofFloats(new long[] {4}, 1.00005f, 2, 0.000005f, -4);
    Tensor far = Tensor.ofFloats(new long[] {4}, 1, 2.1f, 0, -4);
    var ok = OrtVerifier.compareTensors("y", a, close, OrtVerifier.Tolerance.DEFAULT);
    assertTrue(ok.pass());
    assertFalse(ok.bitIdentical());
    assertEquals(5e-5, ok.maxAbsError(), 1e-6);
    assertTrue(ok.cosine() > 0.9999);
    var bad = OrtVerifier.compareTensors("y", a, far, OrtVerifier.Tolerance.DEFAULT);
    assertFalse(bad.pass());
    assertEquals(0.05, bad.maxRelError(), 1e-6);
    var ints = OrtVerifier.compareTensors("i",
        Tensor.ofLongs(new long[] {2}, 1, 2), Tensor.ofLongs(new long[] {2}, 1, 3), OrtVerifier.Tolerance.DEFAULT);
    assertFalse(ints.pass(), "integers compare exactly");
    var shape = OrtVerifier.compareTensors("s", a, Tensor.ofFloats(new long[] {2, 2}, 1, 2, 0, -4),
        OrtVerifier.Tolerance.DEFAULT);
    assertFalse(shape.pass());
  }

  @Test
  void ortVerifierDetectsAChangedWeight() {
    Path model = TestData.devModels().resolve("optest_conv_bn_relu.onnx");
    Graph g = OnnxImporter.importFile(model);
    var w = g.initializers().stream().filter(v -> v.constant().dtype() == DType.FLOAT)
        .filter(v -> v.constant().numElements() > 8).findFirst().orElseThrow();
    float[] values = w.constant().toFloatArray();
    values[0] += 0.5f;
    w.replaceConstant(Tensor.ofFloats(w.constant().dims(), values));
    Map<String, Tensor> inputs = SeededInputs.generate(g, OracleArgs.read(model).shapes());
    try {
      var v = ORT.verifier().compare(Files.readAllBytes(model), OnnxExporter.toBytes(g), inputs);
      assertFalse(v.pass(), "a changed weight must be caught");
      assertFalse(v.bitIdentical());
      assertTrue(v.firstFailure() != null);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
