package dev.convoy.transforms.evalcheck;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.testing.OrtFixture;
import dev.convoy.transforms.testing.StrictAgreement;
import dev.convoy.transforms.verify.SeededInputs;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A ceil-mode AveragePool that counts pads, whose last windows reach past the padded input:
 * up to opset 18 the overhang counts as padding (ONNX Runtime divides by the whole kernel), from
 * 19 it does not. Found by the differential test (cnn-5176, cnn-9129): the evaluator divided the
 * 19 way at every opset.
 */
class CeilModeAveragePoolVsOrtTest {
  @RegisterExtension static final OrtFixture ORT = new OrtFixture();

  @ParameterizedTest
  @ValueSource(ints = {11, 18, 19, 22})
  void evaluatorDividesAsOrtAtEachOpset(int opset) {
    Graph g = GraphParser.parse("""
        graph g (%x: float32[2,3,6,7]) -> (%y, %z) {
          opset "" OPSET
          %y = AveragePool(%x) {kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1, count_include_pad=1}
          %z = AveragePool(%x) {kernel_shape=[3, 2], strides=[2, 2], pads=[1, 0, 1, 0], ceil_mode=1, count_include_pad=1}
        }
        """.replace("OPSET", Integer.toString(opset)));
    Map<String, Tensor> inputs = SeededInputs.generate(g, Map.of());
    StrictAgreement.assertAgrees("opset " + opset, ORT.verifier().run(OnnxExporter.toBytes(g), inputs),
        Evaluator.standard().runTensors(g, inputs));
  }
}
