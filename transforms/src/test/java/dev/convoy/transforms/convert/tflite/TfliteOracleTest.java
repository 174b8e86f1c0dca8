package dev.convoy.transforms.convert.tflite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.transforms.verify.ModelVerification;
import dev.convoy.transforms.verify.SeededInputs;
import com.google.flatbuffers.FlatBufferBuilder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.lite.schema.BufferT;
import org.tensorflow.lite.schema.Model;
import org.tensorflow.lite.schema.ModelT;
import org.tensorflow.lite.schema.SubGraphT;

/**
 * Convoy against TFLite's own runtime on seeded inputs that are not the shipped references: each
 * test model tfjs-tflite can run, imported and evaluated by Convoy, within the model's bound
 * ({@link TfliteModels#bound}). selfie_segmentation, whose custom op Convolution2DTransposeBias
 * tfjs-tflite lacks, is checked against LiteRT.js instead, with the other float CNNs.
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

  /**
   * LiteRT.js as a second runtime on the float CNNs it can run (the MediaPipe models: no dynamic
   * dims, no variable tensors), including selfie_segmentation with its custom op, which
   * tfjs-tflite lacks.
   */
  @ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.ValueSource(strings = {"face_detection_short_range.tflite",
      "hand_landmark_lite.tflite", "selfie_segmentation.tflite"})
  void convoyMatchesLiteRtOnSeededInputs(String name) throws Exception {
    TfliteOracle litert = TfliteOracle.requireLiteRt();
    Path model = TfliteModels.dir().resolve(name);
    Graph g = TfliteImporter.importFile(model);
    Map<String, Tensor> inputs = SeededInputs.generate(g, Map.of(), SEED);
    List<Tensor> expected = litert.run(model, new ArrayList<>(inputs.values()), tmp);
    List<Tensor> actual = new ArrayList<>(Evaluator.standard().runTensors(g, inputs).values());
    assertEquals(expected.size(), actual.size(), "output count");
    for (int i = 0; i < expected.size(); i++) {
      String what = name + " seed " + SEED + " output " + i + " vs LiteRT.js";
      System.out.printf("%s: max |diff| %.3g%n", what,
          TfliteModels.maxDiff(expected.get(i), actual.get(i)));
      assertNull(TfliteModels.compare(what, expected.get(i), actual.get(i),
          TfliteModels.bound(model)));
    }
  }

  /**
   * dtln_noise_suppression cut after each LSTM (its later operators dropped, that LSTM's output
   * made the model's output): each int8 LSTM output is within one step of TFLite's. The second
   * LSTM has a non-zero hidden zero point, which TFLite's integer kernel applies with the opposite
   * sign; without reproducing that every element is 8 steps off.
   */
  @ParameterizedTest(name = "after operator {0}")
  @org.junit.jupiter.params.provider.ValueSource(ints = {1, 2})
  void dtlnLstmOutputsMatchTfliteWithinOneStep(int operators) throws Exception {
    TfliteOracle oracle = TfliteOracle.require();
    Path model = TfliteModels.dir().resolve("dtln_noise_suppression.tflite");
    ModelT m = Model.getRootAsModel(ByteBuffer.wrap(Files.readAllBytes(model))
        .order(ByteOrder.LITTLE_ENDIAN)).unpack();
    for (BufferT b : m.getBuffers()) {
      if (b.getData() != null && b.getData().length == 0) {
        b.setData(null); // an empty vector would read as a 0-byte constant
      }
    }
    SubGraphT sg = m.getSubgraphs()[0];
    sg.setOperators(Arrays.copyOf(sg.getOperators(), operators));
    sg.setOutputs(new int[] {sg.getOperators()[operators - 1].getOutputs()[0]});
    FlatBufferBuilder fb = new FlatBufferBuilder();
    Model.finishModelBuffer(fb, Model.pack(fb, m));
    Path cut = tmp.resolve("dtln_cut" + operators + ".tflite");
    Files.write(cut, fb.sizedByteArray());
    Graph g = TfliteImporter.importFile(cut);
    Map<String, Tensor> inputs = SeededInputs.generate(g, Map.of(), SEED);
    Tensor expected = oracle.run(cut, new ArrayList<>(inputs.values()), tmp.resolve("o")).get(0);
    Tensor actual = Evaluator.standard().runTensors(g, inputs).values().iterator().next();
    assertNull(TfliteModels.compare("dtln after operator " + operators, expected, actual,
        TfliteModels.Bound.ONE_STEP));
  }
}
