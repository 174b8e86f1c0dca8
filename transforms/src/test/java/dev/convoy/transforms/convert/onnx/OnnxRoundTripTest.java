package dev.convoy.transforms.convert.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.GraphDiff;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.testing.TestData;
import dev.convoy.transforms.testing.OrtFixture;
import dev.convoy.transforms.verify.OrtVerifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The ONNX round trip on real models and on every ONNX node test: import, export, and ONNX
 * Runtime gives bit-identical outputs for the original and the exported model on the reference
 * inputs; and importing the export gives a graph structurally equal to the first import.
 */
class OnnxRoundTripTest {
  @RegisterExtension static final OrtFixture ORT = new OrtFixture();

  @Test
  void devModelsRoundTripBitIdenticalInOrt() throws IOException {
    List<Path> models = TestData.devModelFiles();
    List<String> failures = new ArrayList<>();
    int structural = 0;
    int identical = 0;
    for (Path model : models) {
      String name = model.getFileName().toString().replaceFirst("\\.onnx$", "");
      Graph g = OnnxImporter.importFile(model);
      byte[] exported = OnnxExporter.toBytes(g);
      String diff = GraphDiff.first(g, OnnxImporter.importBytes(exported, name + " (exported)", null));
      if (diff == null) {
        structural++;
      } else {
        failures.add(name + ": re-import differs: " + diff);
      }
      Map<String, Tensor> inputs = readInputs(model.resolveSibling(name + ".ref/test_data_set_0"), g);
      OrtVerifier.Verification v =
          ORT.verifier().compare(Files.readAllBytes(model), exported, inputs);
      if (v.bitIdentical() && !v.outputs().isEmpty()) {
        identical++;
      } else {
        failures.add(name + ": ORT outputs differ: " + v.firstFailure());
      }
    }
    System.out.printf(
        "dev models: %d of %d re-import equal, %d of %d bit-identical in ORT%n",
        structural, models.size(), identical, models.size());
    assertEquals(List.of(), failures);
    assertEquals(models.size(), identical);
  }

  @Test
  void nodeTestsRoundTripBitIdenticalInOrt() throws IOException {
    List<Path> dirs = TestData.nodeTestDirs();
    Map<String, String> baseline = baseline(TestData.nodeTests().resolve("ort-baseline.tsv"));
    List<String> failures = new ArrayList<>();
    Map<String, Integer> skipped = new TreeMap<>();
    int imported = 0;
    int structural = 0;
    int identical = 0;
    long start = System.nanoTime();
    for (Path dir : dirs) {
      String test = dir.getFileName().toString();
      Path model = dir.resolve("model.onnx");
      Graph g;
      try {
        g = OnnxImporter.importFile(model);
      } catch (UnsupportedOpException e) {
        skipped.merge("import: " + importSkipReason(e.getMessage()), 1, Integer::sum);
        continue;
      }
      imported++;
      byte[] exported = OnnxExporter.toBytes(g);
      String diff = GraphDiff.first(g, OnnxImporter.importBytes(exported, test + " (exported)", null));
      if (diff == null) {
        structural++;
      } else {
        failures.add(test + ": re-import differs: " + diff);
      }
      String why = ortSkipReason(g);
      if (why != null) {
        skipped.merge("ORT: " + why, 1, Integer::sum);
        continue;
      }
      Map<String, Tensor> inputs;
      try {
        inputs = readInputs(dir.resolve("test_data_set_0"), g);
      } catch (UnsupportedOpException e) {
        skipped.merge("ORT: input of an element type Convoy does not read", 1, Integer::sum);
        continue;
      }
      byte[] original = Files.readAllBytes(model);
      Map<String, Tensor> expected;
      try {
        expected = ORT.verifier().run(original, inputs);
      } catch (ConvoyException e) {
        String status = baseline.getOrDefault(test, "?");
        if (!e.getMessage().startsWith("ONNX Runtime failed")) {
          skipped.merge("ORT: output not readable through the Java API", 1, Integer::sum);
          continue;
        }
        if (status.equals("ok") || status.equals("mismatch")) {
          failures.add(test + ": ORT fails on the original, but the baseline ran it: " + e.getMessage());
        } else {
          skipped.merge("ORT: fails on the original (baseline: " + status + ")", 1, Integer::sum);
        }
        continue;
      }
      Map<String, Tensor> actual;
      try {
        actual = ORT.verifier().run(exported, inputs);
      } catch (ConvoyException e) {
        failures.add(test + ": ORT fails on the export only: " + e.getMessage());
        continue;
      }
      var v = OrtVerifier.compareOutputs(expected, actual, OrtVerifier.Tolerance.DEFAULT);
      if (v.bitIdentical()) {
        identical++;
      } else if (!OrtVerifier.compareOutputs(expected, ORT.verifier().run(original, inputs),
          OrtVerifier.Tolerance.DEFAULT).bitIdentical()) {
        skipped.merge("ORT: nondeterministic (original differs from itself)", 1, Integer::sum);
      } else {
        failures.add(test + ": ORT outputs differ: " + v.firstFailure());
      }
    }
    int skippedTotal = skipped.values().stream().mapToInt(Integer::intValue).sum();
    System.out.printf(
        "node tests: %d total, %d imported, %d re-import equal, %d round-tripped bit-identical in"
            + " ORT, %d skipped, %.1f s%n",
        dirs.size(), imported, structural, identical, skippedTotal,
        (System.nanoTime() - start) / 1e9);
    skipped.forEach((reason, n) -> System.out.printf("  skipped %4d  %s%n", n, reason));
    failures.forEach(f -> System.out.println("  FAILED " + f));
    assertEquals(List.of(), failures);
    assertEquals(imported, structural);
    // Guards against a vacuous pass and against losing coverage: today's count with ORT 1.28.
    assertTrue(identical >= 1435, "only " + identical + " node tests round-tripped bit-identical"
        + " in ORT, 1435 before");
  }

  /** Reference inputs {@code input_K.pb} for the K-th real input of {@code g}. */
  static Map<String, Tensor> readInputs(Path dataSet, Graph g) {
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    for (int k = 0; k < g.inputs().size(); k++) {
      Path pb = dataSet.resolve("input_" + k + ".pb");
      if (Files.isRegularFile(pb)) {
        inputs.put(g.inputs().get(k).name(), OnnxTensors.readPb(pb));
      }
    }
    return inputs;
  }

  /** Why ORT cannot run {@code g} through the Java API, or {@code null}. */
  private static String ortSkipReason(Graph g) {
    List<Value> io = new ArrayList<>(g.inputs());
    io.addAll(g.outputs());
    for (Value v : io) {
      if (v.type() != null && !(v.type() instanceof ValueType.TensorType)) {
        return "sequence/optional input or output";
      }
    }
    for (Value v : g.inputs()) {
      ValueType.TensorType t = v.tensorType();
      if (t != null) {
        switch (t.dtype()) {
          case FLOAT, DOUBLE, FLOAT16, BFLOAT16, INT8, UINT8, INT16, INT32, INT64, BOOL, STRING -> { }
          default -> {
            return "ORT Java cannot create " + t.dtype().textName() + " inputs";
          }
        }
      }
    }
    return null;
  }

  private static String importSkipReason(String message) {
    if (message.contains("opset")) {
      return "default-domain opset below 7";
    }
    if (message.contains("4-bit") || message.contains("element type")) {
      return "sub-byte or unknown element type";
    }
    return message.replaceAll(".*: ", "");
  }

  private static Map<String, String> baseline(Path tsv) throws IOException {
    Map<String, String> status = new HashMap<>();
    if (Files.isRegularFile(tsv)) {
      for (String line : Files.readAllLines(tsv)) {
        String[] f = line.split("\t", 3);
        if (f.length >= 2) {
          status.put(f[0], f[1]);
        }
      }
    }
    return status;
  }
}
