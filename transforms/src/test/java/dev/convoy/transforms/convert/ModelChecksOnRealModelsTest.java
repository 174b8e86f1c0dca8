package dev.convoy.transforms.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.testing.TestData;
import dev.convoy.ir.verify.ModelChecks;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The import checks refuse bad models, never good ones: every dev model and every ONNX backend
 * node-test model that imports (all of them load in ONNX Runtime or the ONNX reference) passes
 * {@link ModelChecks}, unknown domains refused. A refusal is listed with its message.
 */
class ModelChecksOnRealModelsTest {
  @Test
  void acceptsEveryDevAndNodeTestModel() {
    List<Path> models = Stream.concat(TestData.devModelFiles().stream(),
        TestData.nodeTestDirs().stream().map(d -> d.resolve("model.onnx"))).toList();
    List<String> refused = new ArrayList<>();
    for (Path m : models) {
      Graph g;
      try {
        g = OnnxImporter.importFile(m);
      } catch (ConvoyException e) {
        continue; // the importer's own refusals (an element type Convoy lacks) are not at issue
      }
      try {
        ModelChecks.check(g, m.toString(), false);
      } catch (ConvoyException e) {
        refused.add(e.getMessage());
      }
    }
    assertEquals(List.of(), refused, refused.size() + " of " + models.size() + " refused");
  }
}
