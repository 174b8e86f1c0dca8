package dev.convoy.ir.memory;

import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks that a memory plan fits the graph it is stored with, before anything runs from it:
 * every planned value is an output of the graph's nodes, planned from the step that writes it to
 * at least its last read, with at least its static byte size; a value sharing another's bytes is
 * an alias of it or an in-place write over its last read; and no two values alive at one step
 * overlap otherwise ({@link MemoryPlan#firstConflict()}, which names both). Subgraph plans are
 * checked against their subgraphs.
 */
public final class MemoryPlanCheck {
  private MemoryPlanCheck() {}

  /** Throws an {@link InvalidModelException} naming what in {@code plan} does not fit {@code g}. */
  public static void check(Graph g, MemoryPlan plan) {
    check(g, plan, "");
  }

  private static void check(Graph g, MemoryPlan plan, String where) {
    List<Node> nodes = g.nodes();
    Map<Node, Integer> step = new IdentityHashMap<>();
    Map<String, Value> outputs = new HashMap<>();
    for (int i = 0; i < nodes.size(); i++) {
      step.put(nodes.get(i), i);
      for (Value v : nodes.get(i).outputs()) {
        if (v != null) {
          outputs.put(v.name(), v);
        }
      }
    }
    Map<String, MemoryPlan.Allocation> byName = new HashMap<>();
    for (MemoryPlan.Allocation a : plan.allocations()) {
      byName.put(a.value(), a);
    }
    for (MemoryPlan.Allocation a : plan.allocations()) {
      Value v = outputs.get(a.value());
      if (v == null || v.isGraphOutput()) {
        throw bad(where, "'" + a.value() + "' is not an intermediate of the graph");
      }
      int first = step.get(v.producer());
      int last = BufferRules.lastRead(g, v, first, step);
      if (a.firstStep() != first || a.lastStep() < last) {
        throw bad(where, "'" + a.value() + "' lives at steps " + first + ".." + last
            + ", planned " + a.firstStep() + ".." + a.lastStep());
      }
      long bytes = BufferRules.staticBytes(v);
      if (a.offset() < 0 || a.size() < bytes) {
        throw bad(where, "'" + a.value() + "' needs " + bytes + " bytes, planned " + a.size()
            + " at offset " + a.offset());
      }
      if (a.sharesWith() != null) {
        checkSharing(where, v, a, byName.get(a.sharesWith()), byName, plan);
      }
    }
    String conflict = plan.firstConflict();
    if (conflict != null) {
      throw bad(where, conflict);
    }
    for (var e : plan.subgraphs().entrySet()) {
      String[] ij = e.getKey().split("\\.");
      Graph sub = null;
      try {
        sub = nodes.get(Integer.parseInt(ij[0])).subgraphs().get(Integer.parseInt(ij[1]));
      } catch (RuntimeException ignored) {
        // reported below
      }
      if (sub == null || ij.length != 2) {
        throw bad(where, "no subgraph '" + e.getKey() + "'");
      }
      check(sub, e.getValue(), where + "subgraph " + e.getKey() + ": ");
    }
  }

  /**
   * An alias must view its op's first input; an in-place write must come at the last read of
   * every earlier value in its buffer.
   */
  private static void checkSharing(String where, Value v, MemoryPlan.Allocation a,
      MemoryPlan.Allocation host, Map<String, MemoryPlan.Allocation> byName, MemoryPlan plan) {
    Node n = v.producer();
    boolean reads = false;
    boolean inPlace = false;
    for (int i = 0; host != null && i < n.inputCount(); i++) {
      if (n.input(i) != null && n.input(i).name().equals(host.value())) {
        reads = true;
        inPlace |= BufferRules.mayWriteInPlace(n, n.outputs().indexOf(v), i);
      }
    }
    boolean alias = reads && BufferRules.isAlias(n) && n.input(0).name().equals(host.value());
    if (inPlace) {
      String root = MemoryPlan.root(a, byName);
      for (MemoryPlan.Allocation b : plan.allocations()) {
        if (b.firstStep() < a.firstStep() && b.lastStep() > a.firstStep()
            && root.equals(MemoryPlan.root(b, byName))) {
          throw bad(where, "'" + a.value() + "' is written over '" + b.value()
              + "', which is still read at step " + b.lastStep());
        }
      }
    }
    if (!alias && !inPlace) {
      throw bad(where, "'" + a.value() + "' (" + n.opType() + ") may not share the bytes of '"
          + a.sharesWith() + "'");
    }
  }

  private static InvalidModelException bad(String where, String what) {
    return new InvalidModelException("memory plan: " + where + what);
  }
}
