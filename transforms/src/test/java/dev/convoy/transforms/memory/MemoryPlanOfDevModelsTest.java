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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Plans of every dev model (shapes made static with their oracle args) are sound, within 1.05x
 * of their lower bound, never above in-order best fit, and not enlarged by in-place writes and
 * aliases. The bound is LOAD for a graph whose values are of one storage class; with several
 * classes each has its own region (so the evaluator's arrays add up to the arena), and the bound
 * is the sum of each class's LOAD.
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
    Map<Graph, MemoryPlan> plans = new LinkedHashMap<>();
    flatten(g, plan, plans);
    plans.forEach((graph, p) -> {
      long bound = MemoryPlanner.classLoad(graph, o);
      assertTrue(p.lowerBoundBytes() <= bound && bound <= p.arenaBytes(), model);
      assertTrue(p.arenaBytes() <= 1.05 * bound,
          model + ": arena " + p.arenaBytes() + " > 1.05 x per-class LOAD " + bound);
      assertTrue(p.arenaBytes() <= p.naiveBytes(), model);
    });
    assertTrue(plan.arenaBytes() <= MemoryPlanner.inOrderArena(g, o), model);
    MemoryPlan unshared = MemoryPlanner.plan(g, o.withSharing(false, false));
    assertNull(unshared.firstConflict(), model);
    assertTrue(plan.arenaBytes() <= unshared.arenaBytes(),
        model + ": sharing grew the arena " + unshared.arenaBytes() + " -> " + plan.arenaBytes());
    long classLoad = MemoryPlanner.classLoad(g, o);
    System.out.printf("memory-plan %s arena=%d load=%d ratio=%.4f class-load=%d class-ratio=%.4f"
            + " naive=%d unshared=%d in-order=%d planner=%s in-place=%d aliased=%d planned=%d"
            + " skipped=%d%n", model,
        plan.arenaBytes(), plan.lowerBoundBytes(),
        plan.lowerBoundBytes() == 0 ? 1.0 : (double) plan.arenaBytes() / plan.lowerBoundBytes(),
        classLoad, classLoad == 0 ? 1.0 : (double) plan.arenaBytes() / classLoad,
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

  /** {@code p}, the plan of {@code g}, and its subgraphs' plans by their graphs. */
  private static void flatten(Graph g, MemoryPlan p, Map<Graph, MemoryPlan> out) {
    out.put(g, p);
    p.subgraphs().forEach((key, sub) -> {
      String[] ij = key.split("\\.");
      flatten(g.nodes().get(Integer.parseInt(ij[0])).subgraphs().get(Integer.parseInt(ij[1])),
          sub, out);
    });
  }
}
