package dev.convoy.transforms.convert.caffe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.testing.TestData;
import dev.convoy.ir.verify.GraphVerifier;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.convert.onnx.OnnxTensors;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.Optimizer;
import dev.convoy.transforms.testing.OrtFixture;
import dev.convoy.transforms.testing.StrictAgreement;
import dev.convoy.transforms.verify.OracleArgs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every Caffe net in the test data ({@code models/caffe}: real deploy prototxts with seeded
 * caffemodels) against OpenCV's recorded outputs: {@code output_0} is the blob fed to the final
 * Softmax, {@code output_1} the net's final blob, each named in its TensorProto. Convoy's
 * evaluator on the imported graph, ONNX Runtime on its ONNX export, and both again after O2 must
 * agree with them within rtol 1e-4 / atol 1e-5.
 */
class CaffeReferenceTest {
  @RegisterExtension static final OrtFixture ORT = new OrtFixture();

  static Stream<Path> nets() {
    Path dir = TestData.root().resolve("models/caffe");
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.toString().endsWith(".prototxt")).sorted().toList().stream();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("nets")
  void importedNetMatchesOpenCvBeforeAndAfterO2(Path prototxt) throws Exception {
    String stem = prototxt.getFileName().toString().replaceFirst("\\.prototxt$", "");
    Path ref = prototxt.resolveSibling(stem + ".ref/test_data_set_0");
    Tensor input = OnnxTensors.readPb(ref.resolve("input_0.pb"));
    String preSoftmax = OnnxTensors.readPbName(ref.resolve("output_0.pb"));
    String last = OnnxTensors.readPbName(ref.resolve("output_1.pb"));
    Map<String, Tensor> expected = Map.of(
        preSoftmax, OnnxTensors.readPb(ref.resolve("output_0.pb")),
        last, OnnxTensors.readPb(ref.resolve("output_1.pb")));

    Graph g = CaffeImporter.importFiles(
        prototxt, CaffeImporter.weightsFor(prototxt), List.of(preSoftmax));
    assertEquals(List.of(), GraphVerifier.verify(g), stem + ": invalid graph");
    assertEquals(List.of(last, preSoftmax), g.outputs().stream().map(v -> v.name()).toList());
    String in = g.inputs().get(0).name();
    Map<String, Tensor> inputs = Map.of(in, input);
    StrictAgreement.assertAgrees(stem + " evaluator", expected, Evaluator.standard().runTensors(g, inputs));
    StrictAgreement.assertAgrees(stem + " ORT on the export", expected, ORT.verifier().run(OnnxExporter.toBytes(g), inputs));

    Map<String, long[]> shapes = OracleArgs.read(prototxt).shapes();
    Graph o2 = Optimizer.optimize(g, new OptimizeOptions(Level.O2, Set.of(), Set.of(), null,
        shapes, false, OptimizeOptions.DEFAULT_FOLD_CAP)).graph();
    assertEquals(List.of(), GraphVerifier.verify(o2), stem + ": invalid graph after O2");
    StrictAgreement.assertAgrees(stem + " O2 evaluator", expected, Evaluator.standard().runTensors(o2, inputs));
    StrictAgreement.assertAgrees(stem + " O2 ORT", expected, ORT.verifier().run(OnnxExporter.toBytes(o2), inputs));
  }
}
