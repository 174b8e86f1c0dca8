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
import dev.convoy.transforms.convert.Models;
import dev.convoy.transforms.verify.OracleArgs;
import dev.convoy.transforms.verify.ReferenceSets;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Plans of every dev model, ONNX and TFLite (shapes made static with their oracle args), are
 * sound, within 1.05x of LOAD (their lower bound) and 1.02x as the median, never above in-order
 * best fit, and not enlarged by in-place writes and aliases.
 */
class MemoryPlanOfDevModelsTest {
  static Stream<Path> models() {
    List<Path> all = new ArrayList<>(TestData.devModelFiles());
    try (Stream<Path> s = Files.list(TestData.root().resolve("models/tflite"))) {
      // The TFLite models the evaluator runs (those with reference outputs).
      s.filter(p -> p.toString().endsWith(".tflite") && ReferenceSets.dirFor(p) != null).sorted()
          .forEach(all::add);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return all.stream();
  }

  static Graph load(Path file) {
    Graph g = Models.load(file);
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
      assertTrue(p.lowerBoundBytes() <= p.arenaBytes(), model);
      assertTrue(p.arenaBytes() <= 1.05 * p.lowerBoundBytes(),
          model + ": arena " + p.arenaBytes() + " > 1.05 x LOAD " + p.lowerBoundBytes());
      assertTrue(p.arenaBytes() <= p.naiveBytes(), model);
      assertTrue(p.arenaBytes() <= MemoryPlanner.inOrderArena(graph, o), model);
    });
    MemoryPlan unshared = MemoryPlanner.plan(g, o.withSharing(false, false));
    assertNull(unshared.firstConflict(), model);
    assertTrue(plan.arenaBytes() <= unshared.arenaBytes(),
        model + ": sharing grew the arena " + unshared.arenaBytes() + " -> " + plan.arenaBytes());
    System.out.printf("memory-plan %s arena=%d load=%d ratio=%.4f naive=%d unshared=%d"
            + " in-order=%d planner=%s in-place=%d aliased=%d planned=%d skipped=%d%n", model,
        plan.arenaBytes(), plan.lowerBoundBytes(), ratio(plan), plan.naiveBytes(),
        unshared.arenaBytes(), MemoryPlanner.inOrderArena(g, o), plan.planner(), plan.inPlace(),
        plan.aliased(), plan.allocations().size(), plan.skipped().size());
  }

  @Test
  void medianArenaOverLoadIsAtMostTwoPercentAbove() {
    double[] ratios = models().mapToDouble(f -> ratio(MemoryPlanner.plan(load(f)))).sorted()
        .toArray();
    double median = ratios.length % 2 == 1 ? ratios[ratios.length / 2]
        : (ratios[ratios.length / 2 - 1] + ratios[ratios.length / 2]) / 2;
    assertTrue(ratios.length > 30 && median <= 1.02,
        "median arena / LOAD " + median + " over " + ratios.length + " models");
  }

  @Test
  void realModelsGetInPlaceWritesAndAliases() {
    MemoryPlan plan = MemoryPlanner.plan(load(TestData.devModels().resolve("mobilenet_v2.onnx")));
    assertTrue(plan.inPlace() > 0 && plan.aliased() > 0,
        "in-place " + plan.inPlace() + ", aliased " + plan.aliased());
  }

  /** Arena over LOAD of the top-level graph (1 for a graph with nothing to plan). */
  private static double ratio(MemoryPlan plan) {
    return plan.lowerBoundBytes() == 0 ? 1.0
        : (double) plan.arenaBytes() / plan.lowerBoundBytes();
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
