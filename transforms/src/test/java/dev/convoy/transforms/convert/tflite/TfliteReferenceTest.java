package dev.convoy.transforms.convert.tflite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.format.CvyReader;
import dev.convoy.ir.format.CvyWriter;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.Optimizer;
import dev.convoy.transforms.verify.OrtVerifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every TFLite test model with references, on every reference set: imported and run by Convoy's
 * evaluator, exported to ONNX and run by ONNX Runtime, and the same after O2 (written and read
 * back as .cvy, and exported to ONNX), each matching the recorded TFLite outputs within the
 * model's bound ({@link TfliteModels#bound}).
 */
class TfliteReferenceTest {
  @TempDir Path tmp;

  static java.util.stream.Stream<Path> models() {
    return TfliteModels.withReferences();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void importedModelMatchesTfliteInEvaluatorAndOrt(Path model) {
    Graph g = TfliteImporter.importFile(model);
    assertEquals("NHWC", g.metadata().get(TfliteImporter.SOURCE_LAYOUT));
    check(model, "import/evaluator", g, false);
    check(model, "import/ort", g, true);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void o2ResultMatchesTfliteAsCvyAndOnnx(Path model) {
    Graph g = Optimizer.optimize(TfliteImporter.importFile(model),
        OptimizeOptions.atLevel(Level.O2)).graph();
    Path cvy = tmp.resolve("o2.cvy");
    CvyWriter.write(g, cvy);
    check(model, "O2/cvy/evaluator", CvyReader.read(cvy), false);
    check(model, "O2/onnx/ort", g, true);
    System.out.printf("%s: O2 Transposes %d of %d nodes%n", model.getFileName(),
        g.opHistogram().getOrDefault("Transpose", 0), g.totalNodeCount());
  }

  private static void check(Path model, String how, Graph g, boolean ort) {
    TfliteModels.Bound bound = TfliteModels.bound(model);
    List<String> problems = new ArrayList<>();
    for (Path set : TfliteModels.dataSets(model)) {
      Map<String, Tensor> inputs = TfliteModels.inputs(g, set);
      List<Tensor> actual;
      if (ort) {
        try (OrtVerifier v = new OrtVerifier()) {
          actual = new ArrayList<>(v.run(OnnxExporter.toBytes(g), inputs).values());
        }
      } else {
        actual = new ArrayList<>(Evaluator.standard().runTensors(g, inputs).values());
      }
      List<Tensor> expected = TfliteModels.expected(set);
      assertEquals(expected.size(), actual.size(), model + " " + how + ": output count");
      for (int i = 0; i < expected.size(); i++) {
        String what = model.getFileName() + " " + how + " " + set.getFileName() + " output " + i;
        System.out.printf("%s: max |diff| %.3g%n", what,
            TfliteModels.maxDiff(expected.get(i), actual.get(i)));
        String p = TfliteModels.compare(what, expected.get(i), actual.get(i), bound);
        if (p != null) {
          problems.add(p);
        }
      }
    }
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }
}
