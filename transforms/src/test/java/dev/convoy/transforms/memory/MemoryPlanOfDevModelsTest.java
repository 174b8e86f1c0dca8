package dev.convoy.transforms.memory;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.eval.ShapeInference;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.testing.TestData;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import dev.convoy.transforms.verify.OracleArgs;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Plans of real models (shapes made static with their oracle args) are sound and bounded. */
class MemoryPlanOfDevModelsTest {
  @ParameterizedTest
  @ValueSource(strings = {"light_inception_v1", "light_resnet50", "squeezenet1_1", "tiny_vit",
      "yolox_nano", "super_resolution"})
  void arenaPlanIsSoundAndBetweenLowerBoundAndNaiveSum(String model) {
    Path file = TestData.devModels().resolve(model + ".onnx");
    Graph g = OnnxImporter.importFile(file);
    var shapes = OracleArgs.read(file).shapes();
    for (Value in : g.inputs()) {
      ValueType.TensorType t = in.tensorType();
      if (shapes.containsKey(in.name()) && t != null) {
        in.setType(new ValueType.TensorType(t.dtype(), Shape.of(shapes.get(in.name()))));
      }
    }
    ShapeInference.infer(g);
    MemoryPlan plan = MemoryPlanner.plan(g);
    assertNull(plan.firstConflict(), model);
    assertTrue(plan.allocations().size() > g.nodes().size() / 2,
        model + ": planned only " + plan.allocations().size() + ", skipped " + plan.skipped());
    assertTrue(plan.lowerBoundBytes() <= plan.arenaBytes(), model);
    assertTrue(plan.arenaBytes() <= plan.naiveBytes(), model);
  }
}
