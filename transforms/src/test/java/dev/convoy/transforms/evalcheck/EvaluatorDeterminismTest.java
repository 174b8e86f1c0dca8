package dev.convoy.transforms.evalcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.runtime.Parallel;
import dev.convoy.ir.testing.TestData;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import dev.convoy.transforms.verify.ModelVerification;
import dev.convoy.transforms.verify.SeededInputs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The evaluator's outputs are bit-identical whatever the thread count and from run to run: the
 * parallel kernels (tiled GEMM, depthwise and blocked convolutions, pooling, elementwise) split
 * only the output, never a sum. Checked on CNNs that exercise every conv path.
 */
class EvaluatorDeterminismTest {
  @ParameterizedTest
  @ValueSource(strings = {"mobilenet_v2.onnx", "squeezenet1_1.onnx",
      "shufflenet_v2_x0_5_nofold.onnx", "ulfd_rfb_320.onnx"})
  void outputsAreBitIdenticalAtOneTwoAndThreeThreads(String file) {
    Path model = TestData.devModels().resolve(file);
    assumeTrue(Files.isRegularFile(model), "dev model " + file + " is absent");
    Graph g = OnnxImporter.importFile(model);
    Map<String, Tensor> inputs =
        SeededInputs.generate(g, ModelVerification.shapes(model, Map.of()));
    Map<String, Tensor> serial =
        new Evaluator(OpCatalog.standard(), Parallel.serial()).runTensors(g, inputs);
    for (int threads : new int[] {2, 3}) {
      Evaluator ev = new Evaluator(OpCatalog.standard(), Parallel.of(threads));
      assertEquals(serial, ev.runTensors(g, inputs), file + " at " + threads + " threads");
      assertEquals(serial, ev.runTensors(g, inputs), file + " rerun at " + threads + " threads");
    }
  }
}
