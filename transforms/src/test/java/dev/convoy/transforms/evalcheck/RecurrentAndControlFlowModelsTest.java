package dev.convoy.transforms.evalcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.eval.ShapeInference;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.RuntimeValue;
import dev.convoy.ir.testing.TestData;
import dev.convoy.transforms.conformance.ValueFiles;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The dev models whose results hang on the control-flow, recurrent and reduction kernels
 * (Silero VAD: an If with LSTMs inside and a mean-normalized front end; a bidirectional LSTM
 * tagger; a Loop; a Scan) reproduce their recorded ONNX Runtime outputs at the model tolerance,
 * rtol 1e-4 / atol 1e-5, after shape inference has typed every subgraph.
 */
class RecurrentAndControlFlowModelsTest {
  private static final double RTOL = 1e-4;
  private static final double ATOL = 1e-5;

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"silero_vad_v4", "lstm_tagger", "loop_rnn", "optest_scan_cumsum"})
  void evaluatorReproducesRecordedOutputs(String name) {
    Path dir = TestData.devModels();
    assumeTrue(Files.exists(dir.resolve(name + ".onnx")),
        "test data for " + name + " is absent");
    Graph g = OnnxImporter.importFile(dir.resolve(name + ".onnx"));
    new ShapeInference(OpCatalog.standard()).run(g);
    Path data = dir.resolve(name + ".ref").resolve("test_data_set_0");
    Map<String, RuntimeValue> inputs = new LinkedHashMap<>();
    int k = 0;
    for (Value in : g.inputs()) {
      if (g.initializer(in.name()) == null) {
        inputs.put(in.name(), ValueFiles.read(data.resolve("input_" + k++ + ".pb"), in.type()));
      }
    }
    Map<String, RuntimeValue> out = Evaluator.standard().run(g, inputs);
    for (int i = 0; i < g.outputs().size(); i++) {
      Value o = g.outputs().get(i);
      NdArray want = (NdArray) ValueFiles.read(data.resolve("output_" + i + ".pb"), o.type());
      NdArray got = (NdArray) out.get(o.name());
      String what = name + " output '" + o.name() + "'";
      assertEquals(want.dtype(), got.dtype(), what + " element type");
      assertTrue(Arrays.equals(want.dims(), got.dims()),
          what + ": expected shape " + want.shape() + ", got " + got.shape());
      for (int j = 0; j < want.size(); j++) {
        double w = want.getDouble(j);
        double a = got.getDouble(j);
        assertTrue(Math.abs(a - w) <= ATOL + RTOL * Math.abs(w),
            what + " element " + j + ": expected " + w + ", got " + a);
      }
    }
  }
}
