package dev.convoy.transforms.optimize.opset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.testing.TestData;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import dev.convoy.transforms.convert.onnx.OnnxTensors;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.Optimizer;
import dev.convoy.transforms.optimize.Target;
import dev.convoy.transforms.testing.OrtFixture;
import dev.convoy.transforms.verify.OrtVerifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every ONNX backend node test converted up to opset 26 (and, from above 11, down to 11) computes
 * in ONNX Runtime what the original computes on the test's own inputs (rtol 1e-4, atol 1e-5), or
 * is refused with an {@link OpsetConversionException}; a converted model ONNX Runtime cannot load
 * is a failure.
 * Tests ONNX Runtime cannot run in the original are not counted.
 */
class OpsetConverterNodeTestsTest {
  @RegisterExtension static final OrtFixture ORT = new OrtFixture();

  /**
   * Named exceptions, each with its cause: ONNX Runtime 1.28 runs Swish-24 by expanding the op's
   * function body, which it does not find once the model imports opset 25 or 26 ("Could not find
   * an implementation for Swish(24)"); the converted graph is right, the runtime cannot run it.
   */
  private static final java.util.Set<String> ORT_CANNOT_RUN_CONVERTED = java.util.Set.of("test_swish");

  @Test
  void nodeTestsConvertUpTo26OrAreRefused() throws Exception {
    int compared = convertAll(OpsetConverterTest.ORT_MAX_OPSET);
    assertTrue(compared >= 1300, "only " + compared + " node tests compared");
  }

  @Test
  void nodeTestsConvertDownTo11OrAreRefused() throws Exception {
    int compared = convertAll(11);
    assertTrue(compared >= 300, "only " + compared + " node tests compared");
  }

  /** Converts every node test not already at {@code target}; returns how many agree in ORT. */
  private static int convertAll(int target) throws Exception {
    int compared = 0;
    Map<String, Integer> refused = new TreeMap<>();
    List<String> failures = new ArrayList<>();
    for (Path dir : TestData.nodeTestDirs()) {
      String test = dir.getFileName().toString();
      Graph g;
      try {
        g = OnnxImporter.importFile(dir.resolve("model.onnx"));
      } catch (ConvoyException e) {
        continue;
      }
      long opset = g.opsetVersion("");
      if (opset < OpsetConverter.MIN_SOURCE || opset == target || opset > OpsetConverterTest.ORT_MAX_OPSET
          || !ortRuns(g) || ORT_CANNOT_RUN_CONVERTED.contains(test)) {
        continue;
      }
      Map<String, Tensor> inputs = new LinkedHashMap<>();
      try {
        for (int k = 0; k < g.inputs().size(); k++) {
          Path pb = dir.resolve("test_data_set_0/input_" + k + ".pb");
          if (Files.isRegularFile(pb)) {
            inputs.put(g.inputs().get(k).name(), OnnxTensors.readPb(pb));
          }
        }
      } catch (ConvoyException e) {
        continue;
      }
      Map<String, Tensor> expected;
      try {
        expected = ORT.verifier().run(Files.readAllBytes(dir.resolve("model.onnx")), inputs);
      } catch (ConvoyException e) {
        continue;
      }
      Graph converted;
      try {
        converted = Optimizer.optimize(g, OptimizeOptions.atLevel(Level.O0)
            .withTarget(Target.STANDARD.withOpset(target))).graph();
      } catch (OpsetConversionException e) {
        refused.merge(e.getMessage().replaceAll(".*: cannot convert ", ""), 1, Integer::sum);
        continue;
      } catch (ConvoyException e) {
        failures.add(test + ": " + e.getMessage());
        continue;
      }
      try {
        var actual = ORT.verifier().run(OnnxExporter.toBytes(converted), inputs);
        var v = OrtVerifier.compareOutputs(expected, actual, OrtVerifier.Tolerance.DEFAULT);
        if (v.pass()) {
          compared++;
        } else {
          failures.add(test + " (opset " + opset + "): " + v.firstFailure());
        }
      } catch (ConvoyException e) {
        failures.add(test + " (opset " + opset + "): " + e.getMessage());
      }
    }
    System.out.println("opset conversion of node tests to " + target + ": " + compared
        + " agree in ORT, refused " + refused);
    failures.forEach(f -> System.out.println("  FAILED " + f));
    assertEquals(List.of(), failures);
    return compared;
  }

  private static boolean ortRuns(Graph g) {
    List<Value> io = new ArrayList<>(g.inputs());
    io.addAll(g.outputs());
    for (Value v : io) {
      if (v.type() != null && !(v.type() instanceof ValueType.TensorType)) {
        return false;
      }
    }
    return true;
  }
}
