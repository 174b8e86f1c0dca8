package dev.convoy.transforms.conformance;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.RuntimeValue;
import dev.convoy.ir.testing.TestData;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import dev.convoy.transforms.convert.onnx.OnnxTensors;
import dev.convoy.transforms.testing.EndToEndAgreement;
import dev.convoy.transforms.testing.OracleSkips;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs each real dev model on its reference inputs ({@code NAME.ref/test_data_set_0}, recorded
 * with ONNX Runtime) and compares with the recorded outputs as {@link EndToEndAgreement} says. A
 * model needing an op Convoy lacks fails unless {@link OracleSkips} expects it.
 */
class DevModelReferenceTest {
  static Stream<Path> models() {
    List<Path> files = TestData.devModelFiles();
    return files.stream().filter(p -> Files.isDirectory(refDir(p)));
  }

  private static Path refDir(Path model) {
    String name = model.getFileName().toString().replaceFirst("\\.onnx$", "");
    return model.resolveSibling(name + ".ref").resolve("test_data_set_0");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void evaluatorMatchesRecordedOrtOutputs(Path model) {
    Graph g = OnnxImporter.importFile(model);
    Evaluator eval = Evaluator.standard();
    OracleSkips.requireSupported(eval, g, model.getFileName().toString());
    Path data = refDir(model);
    Map<String, RuntimeValue> inputs = new LinkedHashMap<>();
    int k = 0;
    for (Value in : g.inputs()) {
      if (g.initializer(in.name()) != null) {
        continue;
      }
      inputs.put(in.name(), ValueFiles.read(data.resolve("input_" + k++ + ".pb"), in.type()));
    }
    long start = System.nanoTime();
    Map<String, RuntimeValue> out = eval.run(g, inputs);
    System.out.printf("%s: %.1f ms%n", model.getFileName(), (System.nanoTime() - start) / 1e6);
    for (int i = 0; i < g.outputs().size(); i++) {
      Path file = data.resolve("output_" + i + ".pb");
      if (!Files.exists(file)) {
        continue;
      }
      Value o = g.outputs().get(i);
      EndToEndAgreement.Verdict v = EndToEndAgreement.judge(
          model.getFileName().toString().replaceFirst("\\.onnx$", ""), o.name(),
          OnnxTensors.readPb(file), ((NdArray) out.get(o.name())).toTensor());
      if (!v.comparison().pass()) {
        System.out.println(model.getFileName() + " " + v.describe());
      }
      assertTrue(v.accepted(), model.getFileName() + " output " + v.describe());
    }
  }
}
