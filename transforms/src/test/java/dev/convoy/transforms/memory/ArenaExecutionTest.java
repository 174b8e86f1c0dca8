package dev.convoy.transforms.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.eval.ArenaUse;
import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.eval.ShapeInference;
import dev.convoy.ir.format.CvyReader;
import dev.convoy.ir.format.CvyWriter;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.memory.MemoryPlan;
import dev.convoy.ir.memory.MemoryPlanCodec;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.ir.testing.TestData;
import dev.convoy.transforms.convert.Models;
import dev.convoy.transforms.convert.onnx.OnnxTensors;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.Optimizer;
import dev.convoy.transforms.verify.ReferenceSets;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A planned {@code .cvy} runs inside its arena with outputs bit-identical to the same graph run
 * unplanned, on every dev model (ONNX and TFLite) with reference inputs, whose shapes make the
 * graph static before it is planned.
 */
class ArenaExecutionTest {
  @TempDir Path dir;

  static Stream<Path> models() {
    List<Path> all = new ArrayList<>(TestData.devModelFiles());
    try (Stream<Path> s = Files.list(TestData.root().resolve("models/tflite"))) {
      s.filter(p -> p.toString().endsWith(".tflite")).sorted().forEach(all::add);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return all.stream().filter(p -> ReferenceSets.dirFor(p) != null);
  }

  /** The model with its graph inputs at the reference inputs' shapes, shapes inferred. */
  static Graph staticAtReference(Path model, Map<String, Tensor> inputs) {
    Graph g = Models.load(model);
    Path set = ReferenceSets.dirFor(model).resolve("test_data_set_0");
    int j = 0;
    for (Value in : g.inputs()) {
      if (in.isInitializer()) {
        continue;
      }
      Tensor t = OnnxTensors.readPb(set.resolve("input_" + j++ + ".pb"));
      inputs.put(in.name(), t);
      if (in.type() instanceof ValueType.TensorType tt) {
        in.setType(new ValueType.TensorType(tt.dtype(), Shape.of(t.dims())));
      }
    }
    ShapeInference.infer(g);
    return g;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void plannedCvyRunsInItsArenaBitIdenticalToTheUnplannedRun(Path model) {
    String name = model.getFileName().toString();
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    Graph g = staticAtReference(model, inputs);
    MemoryPlan plan = MemoryPlanner.plan(g);
    MemoryPlanCodec.store(g, plan);
    Path cvy = dir.resolve(name + ".cvy");
    CvyWriter.write(g, cvy);
    Graph planned = CvyReader.read(cvy);

    ArenaUse use = new ArenaUse();
    Map<String, Tensor> inArena =
        Evaluator.standard().recordArenaUse(use).runTensors(planned, inputs);
    Map<String, Tensor> unplanned =
        Evaluator.standard().useArena(false).runTensors(planned, inputs);
    assertEquals(unplanned.keySet(), inArena.keySet(), name);
    for (String out : unplanned.keySet()) {
      assertEquals(unplanned.get(out).dtype(), inArena.get(out).dtype(), name + " " + out);
      assertArrayEquals(unplanned.get(out).dims(), inArena.get(out).dims(), name + " " + out);
      assertArrayEquals(bytes(unplanned.get(out)), bytes(inArena.get(out)), name + " " + out);
    }
    if (!plan.allocations().isEmpty()) {
      assertTrue(use.writes() + use.views() > 0, name + ": nothing was placed in the arena");
    }
    // One array per storage class: at most the plan's arena when the arrays can follow it (one
    // class), else near the sum of each class's peak (the plan reuses bytes across classes).
    long arrays = Evaluator.arenaBytes(planned);
    long classPeaks = classPeaks(planned);
    assertTrue(classPeaks <= arrays, name);
    assertTrue(arrays <= totalArena(plan) || arrays <= 1.05 * classPeaks,
        name + ": arena arrays " + arrays + " bytes, plan " + totalArena(plan)
            + ", class peaks " + classPeaks);
    System.out.printf("arena-run %s plan-arena=%d load=%d arrays=%d class-peaks=%d allocated=%d"
        + " writes=%d in-arena=%d views=%d%n", name, plan.arenaBytes(), plan.lowerBoundBytes(),
        arrays, classPeaks, use.allocatedBytes(), use.writes(), use.inArena(), use.views());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"mobilenet_v2", "squeezenet1_1", "yolox_nano", "loop_rnn", "tiny_vit",
      "all-minilm-l6-v2-q"})
  void o3CvyRunsInItsArenaBitIdenticalToTheUnplannedRun(String model) {
    Path file = TestData.devModels().resolve(model + ".onnx");
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    staticAtReference(file, inputs);
    Map<String, long[]> shapes = new LinkedHashMap<>();
    inputs.forEach((k, t) -> shapes.put(k, t.dims()));
    Graph o3 = Optimizer.optimize(Models.load(file), new OptimizeOptions(Level.O3, Set.of(),
        Set.of(), null, shapes, false, OptimizeOptions.DEFAULT_FOLD_CAP)).graph();
    Path cvy = dir.resolve(model + ".o3.cvy");
    CvyWriter.write(o3, cvy);
    Graph planned = CvyReader.read(cvy);
    assertTrue(MemoryPlanCodec.stored(planned).isPresent(), model + ": O3 stored no plan");
    ArenaUse use = new ArenaUse();
    Map<String, Tensor> inArena =
        Evaluator.standard().recordArenaUse(use).runTensors(planned, inputs);
    Map<String, Tensor> unplanned =
        Evaluator.standard().useArena(false).runTensors(planned, inputs);
    assertTrue(use.writes() + use.views() > 0, model);
    for (String out : unplanned.keySet()) {
      assertArrayEquals(bytes(unplanned.get(out)), bytes(inArena.get(out)), model + " " + out);
    }
  }

  @Test
  void aliasedOutputsAreViewsOfTheirInputsBytes() {
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    Graph g = planned("mobilenet_v2", inputs);
    MemoryPlan plan = MemoryPlanCodec.stored(g).orElseThrow();
    ArenaUse use = new ArenaUse();
    Evaluator.standard().recordArenaUse(use).runTensors(g, inputs);
    assertTrue(plan.aliased() > 0, "mobilenet_v2 has aliases");
    assertEquals(plan.aliased(), use.views());
    assertEquals(plan.allocations().size() - plan.aliased(), use.writes());
  }

  @Test
  void convolutionsPoolsAndElementwiseOpsComputeStraightIntoTheirPlannedPlaces() {
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    Graph g = planned("mobilenet_v2", inputs);
    long conv = g.nodes().stream().filter(n -> n.is("Conv")).count();
    long elementwise = g.nodes().stream()
        .filter(n -> n.is("Clip") || n.is("Add") || n.is("Relu")).count();
    long pool = g.nodes().stream().filter(n -> n.is("GlobalAveragePool")).count();
    ArenaUse use = new ArenaUse();
    Evaluator.standard().recordArenaUse(use).runTensors(g, inputs);
    assertTrue(conv > 40 && elementwise > 40 && pool == 1,
        conv + " Conv, " + elementwise + " Clip/Add/Relu, " + pool + " GlobalAveragePool");
    assertEquals(conv + elementwise + pool, use.inArena());
    // The rest are the Constant nodes' scalars and their Identities, copied in.
    long constants = g.nodes().stream().filter(n -> n.is("Constant") || n.is("Identity")).count();
    assertEquals(constants, use.writes() - use.inArena());
  }

  @Test
  void theNextRunOfTheSameGraphReusesTheArenaAndReadsNoStaleBytes() {
    Map<String, Tensor> first = new LinkedHashMap<>();
    Graph g = staticAtReference(TestData.devModels().resolve("squeezenet1_1.onnx"), first);
    MemoryPlanCodec.store(g, MemoryPlanner.plan(g));
    Map<String, Tensor> second = new LinkedHashMap<>();
    first.forEach((k, t) -> {
      float[] v = t.toFloatArray();
      for (int i = 0; i < v.length; i++) {
        v[i] = 1 - 2 * v[i];
      }
      second.put(k, Tensor.ofFloats(t.dims(), v));
    });
    ArenaUse use = new ArenaUse();
    Evaluator ev = Evaluator.standard().recordArenaUse(use);
    ev.runTensors(g, first);
    long allocated = use.allocatedBytes();
    Map<String, Tensor> again = ev.runTensors(g, second);
    Map<String, Tensor> unplanned = Evaluator.standard().useArena(false).runTensors(g, second);
    assertTrue(allocated > 0);
    assertEquals(allocated, use.allocatedBytes(), "the second run allocated arena arrays again");
    for (String out : unplanned.keySet()) {
      assertArrayEquals(bytes(unplanned.get(out)), bytes(again.get(out)), out);
    }
  }

  @Test
  void kernelsWritingInPlaceKeepNanSignedZerosAndInfinitiesAsInAnUnplannedRun() {
    Graph g = GraphParser.parse("""
        graph g (%x: float32[2,8], %s: float32[1]) -> (%out: float32[2,32]) {
          opset "" 13
          %r: float32[2,8] = Relu(%x)
          %neg: float32[2,8] = Sub(%s, %x)
          %c: float32[2,8] = Clip(%neg, %s)
          %q: float32[2,8] = Div(%x, %r)
          %m: float32[2,8] = Mul(%q, %s)
          %a: float32[2,8] = Add(%m, %c)
          %cat: float32[2,32] = Concat(%r, %c, %q, %a) {axis=1}
          %out = Identity(%cat)
        }
        """);
    ShapeInference.infer(g);
    MemoryPlanCodec.store(g, MemoryPlanner.plan(g));
    float[] x = {Float.NaN, -0f, 0f, 1.5f, -2.5f, Float.POSITIVE_INFINITY,
        Float.NEGATIVE_INFINITY, 3e38f, -1e-45f, 1e-45f, -Float.MAX_VALUE, 7f, -7f, 0.1f, -0.1f,
        Float.MIN_NORMAL};
    Map<String, Tensor> inputs = Map.of("x", Tensor.ofFloats(new long[] {2, 8}, x),
        "s", Tensor.ofFloats(new long[] {1}, -0f));
    ArenaUse use = new ArenaUse();
    Tensor inArena =
        Evaluator.standard().recordArenaUse(use).runTensors(g, inputs).get("out");
    Tensor unplanned = Evaluator.standard().useArena(false).runTensors(g, inputs).get("out");
    assertEquals(7, use.inArena());
    assertArrayEquals(bytes(unplanned), bytes(inArena));
  }

  @Test
  void aKernelOutputLargerThanItsPlannedPlaceIsAnErrorNamingTheValue() {
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    Graph g = staticAtReference(TestData.devModels().resolve("squeezenet1_1.onnx"), inputs);
    // Shape inference got one Conv output wrong (half its width): the plan is sound for the
    // graph as declared, but the kernel's real output does not fit the place planned for it.
    Value conv = g.nodes().stream().filter(n -> n.is("Conv")).findFirst().orElseThrow().output(0);
    ValueType.TensorType t = conv.tensorType();
    long[] dims = t.shape().sizes();
    dims[dims.length - 1] /= 2;
    conv.setType(new ValueType.TensorType(t.dtype(), Shape.of(dims)));
    MemoryPlanCodec.store(g, MemoryPlanner.plan(g));
    var e = assertThrows(ConvoyException.class, () -> Evaluator.standard().runTensors(g, inputs));
    assertTrue(e.getMessage().contains("'" + conv.name() + "'"), e.getMessage());
  }

  @Test
  void aMixedTypePlanReusesBytesAcrossClassesWhileEachClassArrayStaysNearItsPeak() {
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    Graph g = planned("all-minilm-l6-v2-q", inputs);
    MemoryPlan plan = MemoryPlanCodec.stored(g).orElseThrow();
    Set<DType> types = new java.util.HashSet<>();
    g.nodes().forEach(n -> n.outputs().forEach(v -> {
      if (v != null && v.tensorType() != null && !v.isGraphOutput()) {
        types.add(v.tensorType().dtype());
      }
    }));
    assertTrue(types.containsAll(Set.of(DType.FLOAT, DType.INT64, DType.UINT8, DType.INT32)),
        "intermediates of types " + types);
    long classPeaks = classPeaks(g);
    assertTrue(plan.arenaBytes() < classPeaks, "the plan (" + plan.arenaBytes()
        + " bytes) does not reuse bytes across classes (peaks " + classPeaks + ")");
    ArenaUse use = new ArenaUse();
    Evaluator.standard().recordArenaUse(use).runTensors(g, inputs);
    assertTrue(classPeaks <= use.allocatedBytes() && use.allocatedBytes() <= 1.05 * classPeaks,
        use.allocatedBytes() + " bytes of arrays for class peaks of " + classPeaks);
  }

  @Test
  void theLivePeakOfAPlannedRunIsItsArenaPlusWhatLivesOnTheHeap() {
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    Graph g = planned("squeezenet1_1", inputs);
    MemoryPlan plan = MemoryPlanCodec.stored(g).orElseThrow();
    ArenaUse planned = new ArenaUse();
    ArenaUse unplanned = new ArenaUse();
    Evaluator.standard().recordArenaUse(planned).runTensors(g, inputs);
    Evaluator.standard().useArena(false).recordArenaUse(unplanned).runTensors(g, inputs);
    long in = inputs.values().stream().mapToLong(t -> t.data().remaining()).sum();
    // Planned: the arena, the input and at most the graph output beside them.
    assertTrue(planned.peakLiveBytes() >= plan.arenaBytes() + in, "" + planned.peakLiveBytes());
    assertTrue(planned.peakLiveBytes() <= plan.arenaBytes() + in + 4096 * 4,
        planned.peakLiveBytes() + " live, arena " + plan.arenaBytes() + ", input " + in);
    // Unplanned: at least LOAD (what the plan says is alive at once) and the input.
    assertTrue(unplanned.peakLiveBytes() >= plan.lowerBoundBytes() - 64L * plan.allocations().size()
        + in, unplanned.peakLiveBytes() + " live, LOAD " + plan.lowerBoundBytes());
  }

  /** Dev model {@code model} static at its reference inputs, with its memory plan stored. */
  private static Graph planned(String model, Map<String, Tensor> inputs) {
    Graph g = staticAtReference(TestData.devModels().resolve(model + ".onnx"), inputs);
    MemoryPlanCodec.store(g, MemoryPlanner.plan(g));
    return g;
  }

  /** The least bytes one array per storage class can hold {@code g}'s stored plan in. */
  private static long classPeaks(Graph g) {
    return Evaluator.arenaClassPeaks(g).values().stream().mapToLong(Long::longValue).sum();
  }

  /** Bytes of the arenas of a plan and its subgraphs' plans. */
  private static long totalArena(MemoryPlan plan) {
    long total = plan.arenaBytes();
    for (MemoryPlan sub : plan.subgraphs().values()) {
      total += totalArena(sub);
    }
    return total;
  }

  /** The bytes of {@code t}'s data. */
  static byte[] bytes(Tensor t) {
    ByteBuffer b = t.data().duplicate();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }
}
