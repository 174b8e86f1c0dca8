package dev.convoy.transforms.memory;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.eval.ShapeInference;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.memory.MemoryPlan;
import dev.convoy.ir.testing.TestData;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import dev.convoy.transforms.verify.OracleArgs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Plans of every dev model (shapes made static with their oracle args) are sound, within 1.05x
 * of LOAD, never above in-order best fit, and not enlarged by in-place writes and aliases.
 */
class MemoryPlanOfDevModelsTest {
  static Stream<Path> models() {
    return TestData.devModelFiles().stream();
  }

  static Graph load(Path file) {
    Graph g = OnnxImporter.importFile(file);
    Map<String, long[]> shapes = OracleArgs.read(file).shapes();
    for (Value in : g.inputs()) {
      ValueType.TensorType t = in.tensorType();
      if (shapes.containsKey(in.name()) && t != null) {
        in.setType(new ValueType.TensorType(t.dtype(), Shape.of(shapes.get(in.name()))));
      }
    }
    ShapeInference.infer(g);
    return g;
  }

  @ParameterizedTest
  @MethodSource("models")
  void arenaIsSoundNearLoadAndNeverAboveInOrderBestFit(Path file) {
    String model = file.getFileName().toString();
    Graph g = load(file);
    MemoryPlanner.Options o = MemoryPlanner.Options.defaults();
    MemoryPlan plan = MemoryPlanner.plan(g, o);
    assertNull(plan.firstConflict(), model);
    for (MemoryPlan p : flatten(plan)) {
      assertTrue(p.lowerBoundBytes() <= p.arenaBytes(), model);
      assertTrue(p.arenaBytes() <= 1.05 * p.lowerBoundBytes(),
          model + ": arena " + p.arenaBytes() + " > 1.05 x LOAD " + p.lowerBoundBytes());
      assertTrue(p.arenaBytes() <= p.naiveBytes(), model);
    }
    assertTrue(plan.arenaBytes() <= MemoryPlanner.inOrderArena(g, o), model);
    MemoryPlan unshared = MemoryPlanner.plan(g, o.withSharing(false, false));
    assertNull(unshared.firstConflict(), model);
    assertTrue(plan.arenaBytes() <= unshared.arenaBytes(),
        model + ": sharing grew the arena " + unshared.arenaBytes() + " -> " + plan.arenaBytes());
    System.out.printf("memory-plan %s arena=%d load=%d ratio=%.4f naive=%d unshared=%d "
            + "in-order=%d planner=%s in-place=%d aliased=%d planned=%d skipped=%d%n", model,
        plan.arenaBytes(), plan.lowerBoundBytes(),
        plan.lowerBoundBytes() == 0 ? 1.0 : (double) plan.arenaBytes() / plan.lowerBoundBytes(),
        plan.naiveBytes(), unshared.arenaBytes(), MemoryPlanner.inOrderArena(g, o),
        plan.planner(), plan.inPlace(), plan.aliased(), plan.allocations().size(),
        plan.skipped().size());
  }

  @Test
  void realModelsGetInPlaceWritesAndAliases() {
    MemoryPlan plan = MemoryPlanner.plan(load(TestData.devModels().resolve("mobilenet_v2.onnx")));
    assertTrue(plan.inPlace() > 0 && plan.aliased() > 0,
        "in-place " + plan.inPlace() + ", aliased " + plan.aliased());
  }

  private static List<MemoryPlan> flatten(MemoryPlan p) {
    List<MemoryPlan> out = new ArrayList<>(List.of(p));
    p.subgraphs().values().forEach(s -> out.addAll(flatten(s)));
    return out;
  }
}
