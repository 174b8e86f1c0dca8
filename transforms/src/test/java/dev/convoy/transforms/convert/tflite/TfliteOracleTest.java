package dev.convoy.transforms.convert.tflite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.transforms.verify.ModelVerification;
import dev.convoy.transforms.verify.SeededInputs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Convoy against TFLite's own runtime on seeded inputs that are not the shipped references: each
 * test model tfjs-tflite can run, imported and evaluated by Convoy, within the model's bound
 * ({@link TfliteModels#bound}). selfie_segmentation is left out because tfjs-tflite lacks its
 * custom op Convolution2DTransposeBias (its references come from LiteRT.js).
 */
class TfliteOracleTest {
  private static final long SEED = 777;

  @TempDir Path tmp;

  static Stream<Path> models() {
    return TfliteModels.withReferences()
        .filter(p -> !p.getFileName().toString().equals("selfie_segmentation.tflite"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void convoyMatchesTfliteRuntimeOnSeededInputs(Path model) throws Exception {
    TfliteOracle oracle = TfliteOracle.require();
    Graph g = TfliteImporter.importFile(model);
    Map<String, Tensor> inputs =
        SeededInputs.generate(g, ModelVerification.shapes(model, Map.of()), SEED);
    List<Tensor> expected = oracle.run(model, new ArrayList<>(inputs.values()), tmp);
    List<Tensor> actual = new ArrayList<>(Evaluator.standard().runTensors(g, inputs).values());
    assertEquals(expected.size(), actual.size(), "output count");
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < expected.size(); i++) {
      String what = model.getFileName() + " seed " + SEED + " output " + i;
      System.out.printf("%s: max |diff| vs tfjs-tflite %.3g%n", what,
          TfliteModels.maxDiff(expected.get(i), actual.get(i)));
      String p = TfliteModels.compare(what, expected.get(i), actual.get(i),
          TfliteModels.bound(model));
      if (p != null) {
        problems.add(p);
      }
    }
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }
}
