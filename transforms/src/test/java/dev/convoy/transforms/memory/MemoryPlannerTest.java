package dev.convoy.transforms.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.memory.MemoryPlan;
import dev.convoy.ir.memory.MemoryPlanCheck;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MemoryPlannerTest {
  private static Value op(Graph g, String type, String out, long bytes, Value... ins) {
    Value v = g.addNode("", type, List.of(ins), List.of(out), Map.of()).output(0);
    v.setType(ValueType.TensorType.of(DType.UINT8, bytes));
    return v;
  }

  private static Value op(Graph g, String type, String out, DType dtype, long elements,
      Value... ins) {
    Value v = g.addNode("", type, List.of(ins), List.of(out), Map.of()).output(0);
    v.setType(ValueType.TensorType.of(dtype, elements));
    return v;
  }

  private static final MemoryPlanner.Options UNSHARED =
      MemoryPlanner.Options.defaults().withSharing(false, false);

  @Test
  void chainReusesTheBufferOfADeadTensor() {
    Graph g = new Graph();
    Value x = g.addInput("x", ValueType.TensorType.of(DType.UINT8, 64));
    Value a = op(g, "Relu", "a", 64, x);
    Value b = op(g, "Relu", "b", 64, a);
    Value c = op(g, "Relu", "c", 64, b);
    g.addOutput(op(g, "Relu", "d", 64, c));
    MemoryPlan plan = MemoryPlanner.plan(g, UNSHARED);
    assertEquals(3, plan.allocations().size());
    assertEquals(192, plan.naiveBytes());
    assertEquals(128, plan.lowerBoundBytes());
    assertEquals(128, plan.arenaBytes());
    assertEquals(plan.allocations().get(0).offset(), plan.allocations().get(2).offset());
    assertNull(plan.firstConflict());
  }

  @Test
  void planCheckCatchesADeliberateOverlapOfLiveTensors() {
    Graph g = new Graph();
    Value x = g.addInput("x", ValueType.TensorType.of(DType.UINT8, 64));
    Value a = op(g, "Relu", "a", 64, x);
    Value b = op(g, "Relu", "b", 64, a);
    Value c = op(g, "Relu", "c", 64, b);
    g.addOutput(op(g, "Relu", "d", 64, c));
    MemoryPlan plan = MemoryPlanner.plan(g, UNSHARED);
    assertNull(plan.firstConflict());
    // c is written while b is read: moving c onto b's bytes (shifted by one byte, so a partial
    // overlap) must be caught; moving it onto dead a's bytes is the reuse the planner does.
    List<MemoryPlan.Allocation> al = plan.allocations();
    MemoryPlan.Allocation bAt = al.get(1);
    MemoryPlan.Allocation cAt = al.get(2);
    MemoryPlan broken = withAllocations(plan, List.of(al.get(0), bAt,
        new MemoryPlan.Allocation(cAt.value(), bAt.offset() + 1, cAt.size(), cAt.firstStep(),
            cAt.lastStep(), null)));
    String conflict = broken.firstConflict();
    assertTrue(conflict != null && conflict.contains("value=b") && conflict.contains("value=c"),
        String.valueOf(conflict));
    MemoryPlan adjacent = withAllocations(plan, List.of(al.get(0), bAt,
        new MemoryPlan.Allocation(cAt.value(), bAt.offset() + bAt.size(), cAt.size(),
            cAt.firstStep(), cAt.lastStep(), null)));
    assertNull(adjacent.firstConflict(), "touching byte ranges do not overlap");
  }

  @Test
  void staggeredLifetimesPackToTheLowerBound() {
    Graph g = new Graph();
    Value x = g.addInput("x", ValueType.TensorType.of(DType.UINT8, 64));
    Value big = op(g, "Relu", "big", 256, x);       // step 0, read at 2
    Value small = op(g, "Relu", "small", 64, x);    // step 1, read at 3
    Value keep = op(g, "Relu", "keep", 64, big);    // step 2: frees big -> hole of 256 at 0
    Value s2 = op(g, "Relu", "s2", 64, small);      // step 3: frees small -> hole of 64
    Value t = op(g, "Add", "t", 64, keep, s2);      // step 4: should take a 64-byte hole
    g.addOutput(op(g, "Relu", "out", 64, t));
    MemoryPlan plan = MemoryPlanner.plan(g, UNSHARED);
    assertNull(plan.firstConflict());
    assertTrue(plan.arenaBytes() >= plan.lowerBoundBytes());
    assertEquals(256 + 64 + 64, plan.lowerBoundBytes());
    assertEquals(plan.lowerBoundBytes(), plan.arenaBytes());
  }

  /** float a, b (step 0, 1), int8 c (step 2, written while b is read, after a's last read). */
  private static Graph floatThenInt8() {
    Graph g = new Graph();
    Value x = g.addInput("x", ValueType.TensorType.of(DType.FLOAT, 64));
    Value a = op(g, "Conv", "a", DType.FLOAT, 64, x);
    Value b = op(g, "Conv", "b", DType.FLOAT, 64, a);
    Value c = op(g, "QuantizeLinear", "c", DType.INT8, 256, b);
    g.addOutput(op(g, "Conv", "d", DType.FLOAT, 64, c, b));
    return g;
  }

  @Test
  void aDeadTensorsBytesGoToATensorOfAnotherElementType() {
    Graph g = floatThenInt8();
    MemoryPlan plan = MemoryPlanner.plan(g);
    assertNull(plan.firstConflict());
    Map<String, MemoryPlan.Allocation> at = new java.util.HashMap<>();
    plan.allocations().forEach(al -> at.put(al.value(), al));
    // 256 bytes each; a and b, then b and c, alive at once: one address space needs 512 bytes,
    // one region per element type would need 512 (float) + 256 (int8).
    assertEquals(512, plan.lowerBoundBytes());
    assertEquals(512, plan.arenaBytes());
    assertEquals(at.get("a").offset(), at.get("c").offset());
    MemoryPlanCheck.check(g, plan);
  }

  @Test
  void planCheckNamesBothValuesWhenLiveTensorsOfTwoElementTypesOverlap() {
    Graph g = floatThenInt8();
    MemoryPlan plan = MemoryPlanner.plan(g);
    List<MemoryPlan.Allocation> al = plan.allocations();
    MemoryPlan.Allocation b = al.get(1);
    MemoryPlan.Allocation c = al.get(2);
    MemoryPlan broken = withAllocations(plan, List.of(al.get(0), b, new MemoryPlan.Allocation(
        c.value(), b.offset(), c.size(), c.firstStep(), c.lastStep(), null)));
    var e = assertThrows(InvalidModelException.class, () -> MemoryPlanCheck.check(g, broken));
    assertTrue(e.getMessage().contains("value=b") && e.getMessage().contains("value=c"),
        e.getMessage());
  }

  @Test
  void tensorsWithoutStaticShapesAreSkippedAndNamed() {
    Graph g = new Graph();
    Value x = g.addInput("x", ValueType.TensorType.of(DType.FLOAT, 4));
    Value a = g.addNode("", "Relu", List.of(x), List.of("a"), Map.of()).output(0);
    a.setType(new ValueType.TensorType(DType.FLOAT, Shape.of(Dim.of("N"))));
    Value b = g.addNode("", "Relu", List.of(a), List.of("b"), Map.of()).output(0);
    b.setType(ValueType.TensorType.of(DType.FLOAT, 4));
    g.addOutput(g.addNode("", "Relu", List.of(b), List.of("c"), Map.of()).output(0));
    MemoryPlan plan = MemoryPlanner.plan(g);
    assertEquals(List.of("a"), plan.skipped());
    assertEquals(1, plan.allocations().size());
    assertEquals(64, plan.arenaBytes());
  }

  @Test
  void randomGraphsGetSoundPlansBetweenLowerBoundAndNaiveSum() {
    Random rnd = new Random(7);
    int inPlace = 0;
    for (int trial = 0; trial < 50; trial++) {
      Graph g = new Graph();
      List<Value> vals = new java.util.ArrayList<>();
      vals.add(g.addInput("x", ValueType.TensorType.of(DType.UINT8, 64)));
      for (int i = 0; i < 40; i++) {
        Value in1 = vals.get(rnd.nextInt(vals.size()));
        Value in2 = vals.get(Math.max(0, vals.size() - 1 - rnd.nextInt(3)));
        vals.add(op(g, "Add", "v" + i, 64L * (1 + rnd.nextInt(8)), in1, in2));
      }
      g.addOutput(vals.get(vals.size() - 1));
      MemoryPlan plan = MemoryPlanner.plan(g);
      assertNull(plan.firstConflict(), "trial " + trial);
      assertTrue(plan.arenaBytes() >= plan.lowerBoundBytes());
      assertTrue(plan.arenaBytes() <= plan.naiveBytes());
      assertTrue(plan.arenaBytes() <= MemoryPlanner.inOrderArena(g,
          MemoryPlanner.Options.defaults()));
      inPlace += plan.inPlace();
    }
    assertTrue(inPlace > 0, "random Add chains write in place");
  }

  private static MemoryPlan withAllocations(MemoryPlan p, List<MemoryPlan.Allocation> al) {
    return new MemoryPlan(p.arenaBytes(), p.lowerBoundBytes(), p.naiveBytes(), p.planner(),
        p.inPlace(), p.aliased(), al, p.skipped(), p.subgraphs());
  }

  @Test
  void elementwiseChainWritesInPlaceWhenItsInputDies() {
    Graph g = new Graph();
    Value x = g.addInput("x", ValueType.TensorType.of(DType.UINT8, 64));
    Value a = op(g, "Relu", "a", 64, x);
    Value b = op(g, "Sigmoid", "b", 64, a);
    Value c = op(g, "Add", "c", 64, b, a);   // a is still read here, so b is not written over a
    g.addOutput(op(g, "Relu", "d", 64, c));
    MemoryPlan plan = MemoryPlanner.plan(g);
    assertNull(plan.firstConflict());
    Map<String, MemoryPlan.Allocation> at = new java.util.HashMap<>();
    plan.allocations().forEach(al -> at.put(al.value(), al));
    assertEquals(null, at.get("b").sharesWith(), "a is read after b is written");
    assertTrue(at.get("a").offset() != at.get("b").offset());
    assertEquals("b", at.get("c").sharesWith());
    assertEquals(at.get("b").offset(), at.get("c").offset());
    assertEquals(1, plan.inPlace());
    assertEquals(128, plan.arenaBytes());
    assertEquals(128, plan.lowerBoundBytes());
  }

  @Test
  void reshapeViewsItsInputAndKeepsItAliveUntilTheViewsLastRead() {
    Graph g = new Graph();
    Value x = g.addInput("x", ValueType.TensorType.of(DType.UINT8, 64));
    Value a = op(g, "Conv", "a", 128, x);
    Value r = op(g, "Reshape", "r", 128, a);
    Value b = op(g, "Conv", "b", 64, x);      // a's bytes are still r's: b must not take them
    Value c = op(g, "Concat", "c", 192, r, b);
    g.addOutput(op(g, "Conv", "d", 64, c, a));
    MemoryPlan plan = MemoryPlanner.plan(g);
    assertNull(plan.firstConflict());
    Map<String, MemoryPlan.Allocation> at = new java.util.HashMap<>();
    plan.allocations().forEach(al -> at.put(al.value(), al));
    assertEquals("a", at.get("r").sharesWith());
    assertEquals(at.get("a").offset(), at.get("r").offset());
    assertEquals(1, plan.aliased());
    assertEquals(128 + 64 + 192, plan.arenaBytes());
    // Without aliasing the view is a copy: the arena holds a and r at once.
    MemoryPlan copy = MemoryPlanner.plan(g, UNSHARED);
    assertTrue(copy.arenaBytes() > plan.arenaBytes());
  }

  @Test
  void planCheckNamesBothValuesWhenASharerIsMovedOffItsHost() {
    Graph g = new Graph();
    Value x = g.addInput("x", ValueType.TensorType.of(DType.UINT8, 64));
    Value a = op(g, "Conv", "a", 128, x);
    Value r = op(g, "Reshape", "r", 128, a);
    g.addOutput(op(g, "Conv", "d", 64, r, a));
    MemoryPlan plan = MemoryPlanner.plan(g);
    MemoryPlan.Allocation ra = plan.allocations().get(1);
    MemoryPlan moved = withAllocations(plan, List.of(plan.allocations().get(0),
        new MemoryPlan.Allocation("r", ra.offset() + 64, ra.size(), ra.firstStep(),
            ra.lastStep(), "a")));
    String conflict = moved.firstConflict();
    assertTrue(conflict != null && conflict.startsWith("a ") && conflict.contains(" r "),
        String.valueOf(conflict));
  }
}
