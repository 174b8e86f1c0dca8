package dev.convoy.transforms.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtSession;
import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.format.CvyReader;
import dev.convoy.ir.format.CvyWriter;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.memory.MemoryPlan;
import dev.convoy.ir.memory.MemoryPlanCheck;
import dev.convoy.ir.memory.MemoryPlanCodec;
import dev.convoy.ir.testing.TestData;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.Optimizer;
import dev.convoy.transforms.partition.GraphPartitioner;
import dev.convoy.transforms.partition.GraphStitcher;
import dev.convoy.transforms.verify.OrtVerifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The plan travels in the .cvy and in ONNX metadata_props, and is checked before a run. */
class StoredMemoryPlanTest {
  @TempDir Path dir;

  private static Graph planned(String model) {
    Graph g = MemoryPlanOfDevModelsTest.load(TestData.devModels().resolve(model + ".onnx"));
    MemoryPlanCodec.store(g, MemoryPlanner.plan(g));
    return g;
  }

  @ParameterizedTest
  @ValueSource(strings = {"mobilenet_v2", "loop_rnn", "tiny_vit", "silero_vad_v4"})
  void planSurvivesCvyAndOnnxAndFitsTheGraphReadBack(String model) throws Exception {
    Graph g = planned(model);
    MemoryPlan plan = MemoryPlanCodec.stored(g).orElseThrow();
    Path cvy = dir.resolve(model + ".cvy");
    CvyWriter.write(g, cvy);
    Graph fromCvy = CvyReader.read(cvy);
    assertEquals(plan, MemoryPlanCodec.stored(fromCvy).orElseThrow(), model);
    MemoryPlanCheck.check(fromCvy, plan);

    byte[] onnx = OnnxExporter.toBytes(g);
    Graph fromOnnx = OnnxImporter.importBytes(onnx, model, dir);
    assertEquals(plan, MemoryPlanCodec.stored(fromOnnx).orElseThrow(), model);
    MemoryPlanCheck.check(fromOnnx, plan);
    try (OrtSession s = OrtVerifier.environment().createSession(onnx)) {
      assertTrue(s.getMetadata().getCustomMetadata().containsKey(MemoryPlanCodec.KEY), model);
    }
  }

  @Test
  void cvyWithoutPlanReadsWithNone() {
    Graph g = MemoryPlanOfDevModelsTest.load(TestData.devModels().resolve("squeezenet1_1.onnx"));
    Path cvy = dir.resolve("plain.cvy");
    CvyWriter.write(g, cvy);
    assertTrue(MemoryPlanCodec.stored(CvyReader.read(cvy)).isEmpty());
  }

  @Test
  void evaluatorRefusesAPlanWithTwoLiveTensorsOverlappingAndNamesBoth() {
    Graph g = planned("mobilenet_v2");
    MemoryPlan plan = MemoryPlanCodec.stored(g).orElseThrow();
    // Two values alive at one step in different buffers: put the later one on the earlier one.
    List<MemoryPlan.Allocation> al = new ArrayList<>(plan.allocations());
    int a = -1;
    int b = -1;
    for (int i = 0; i < al.size() && b < 0; i++) {
      for (int j = i + 1; j < al.size() && b < 0; j++) {
        MemoryPlan.Allocation x = al.get(i);
        MemoryPlan.Allocation y = al.get(j);
        if (x.firstStep() <= y.lastStep() && y.firstStep() <= x.lastStep()
            && x.sharesWith() == null && y.sharesWith() == null && x.lastStep() > y.firstStep()) {
          a = i;
          b = j;
        }
      }
    }
    assertTrue(b >= 0, "mobilenet_v2 has tensors alive together");
    MemoryPlan.Allocation y = al.get(b);
    al.set(b, new MemoryPlan.Allocation(y.value(), al.get(a).offset(), y.size(), y.firstStep(),
        y.lastStep(), null));
    MemoryPlanCodec.store(g, new MemoryPlan(plan.arenaBytes(), plan.lowerBoundBytes(),
        plan.naiveBytes(), plan.planner(), plan.inPlace(), plan.aliased(), al, plan.skipped(),
        plan.subgraphs()));
    var e = assertThrows(InvalidModelException.class,
        () -> Evaluator.standard().run(g, Map.of()));
    String first = al.get(a).value();
    assertTrue(e.getMessage().contains(first + " ") && e.getMessage().contains(y.value() + " "),
        e.getMessage());
  }

  @Test
  void o3StoresACheckedPlanAndReoptimizingDropsIt() {
    Graph g = OnnxImporter.importFile(TestData.devModels().resolve("mobilenet_v2.onnx"));
    Graph o3 = Optimizer.optimize(g, OptimizeOptions.atLevel(Level.O3)).graph();
    MemoryPlan plan = MemoryPlanCodec.stored(o3).orElseThrow();
    MemoryPlanCheck.check(o3, plan);
    assertTrue(plan.allocations().size() > 50 && plan.skipped().isEmpty()
        && plan.arenaBytes() >= plan.lowerBoundBytes(), plan.allocations().size() + " planned, "
        + plan.skipped().size() + " skipped");
    Graph again = Optimizer.optimize(o3, OptimizeOptions.atLevel(Level.O1)).graph();
    assertFalse(again.metadata().containsKey(MemoryPlanCodec.KEY));
  }

  @Test
  void piecesAndTheStitchedGraphDoNotInheritTheOriginalsPlan() {
    Graph g = planned("mobilenet_v2");
    var p = GraphPartitioner.split(g, 40);
    assertTrue(p.size() > 1);
    for (Graph piece : p.pieces()) {
      assertFalse(piece.metadata().containsKey(MemoryPlanCodec.KEY), piece.name());
    }
    Graph stitched = GraphStitcher.stitch(g, p.pieces());
    assertFalse(stitched.metadata().containsKey(MemoryPlanCodec.KEY));
  }
}
