package dev.convoy.transforms.optimize.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.Optimizer;
import dev.convoy.transforms.optimize.Target;
import dev.convoy.transforms.testing.OrtFixture;
import dev.convoy.transforms.testing.StrictAgreement;
import dev.convoy.transforms.verify.SeededInputs;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A ceil-mode AveragePool counting pads whose last window reaches past the padded input stays
 * channels-first up to opset 18 (the NHWC kernel divides such a window the opset-19 way) and
 * becomes NHWC from 19; at O3 for {@code cvy} the evaluator agrees with ONNX Runtime on the
 * original either way. Found by the differential test (cnn-9129: O3 .cvy 0.26 off).
 */
class CeilModeAveragePoolLayoutTest {
  @RegisterExtension static final OrtFixture ORT = new OrtFixture();

  @ParameterizedTest
  @CsvSource({"18, 0", "19, 1"})
  void staysChannelsFirstWhereTheNhwcKernelWouldDivideOtherwise(int opset, int nhwcPools) {
    Graph g = GraphParser.parse("""
        graph g (%x: float32[1,3,6,7]) -> (%y) {
          opset "" OPSET
          %y = AveragePool(%x) {kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1, count_include_pad=1}
        }
        """.replace("OPSET", Integer.toString(opset)));
    Graph o3 = Optimizer.optimize(g, OptimizeOptions.atLevel(Level.O3).withTarget(Target.CVY))
        .graph();
    assertEquals(nhwcPools, o3.opHistogram().getOrDefault("convoy::NhwcAveragePool", 0));
    Map<String, Tensor> inputs = SeededInputs.generate(g, Map.of());
    StrictAgreement.assertAgrees("opset " + opset, ORT.verifier().run(OnnxExporter.toBytes(g), inputs),
        Evaluator.standard().runTensors(o3, inputs));
  }
}
