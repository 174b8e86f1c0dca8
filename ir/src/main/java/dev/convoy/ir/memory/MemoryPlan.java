package dev.convoy.ir.memory;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An arena plan: every planned intermediate at an offset such that tensors alive at the same step
 * never overlap, except values that share bytes by design (an alias or an in-place write, see
 * {@link Allocation#sharesWith()}). {@code lowerBoundBytes} is LOAD, the largest sum of (aligned)
 * buffer sizes alive at one step, which no plan can beat; {@code naiveBytes} is the sum of all
 * sizes (one buffer each). {@code planner} names the planner whose plan this is; {@code inPlace}
 * and {@code aliased} count the values written into an input's bytes or viewing them. {@code
 * skipped} names the intermediates left out because their shape or element size is not static.
 * {@code subgraphs} holds the plan of each subgraph (its own arena), keyed {@code "i.j"} for the
 * j-th subgraph of the graph's i-th node.
 */
public record MemoryPlan(long arenaBytes, long lowerBoundBytes, long naiveBytes, String planner,
    int inPlace, int aliased, List<Allocation> allocations, List<String> skipped,
    Map<String, MemoryPlan> subgraphs) {

  public MemoryPlan {
    allocations = List.copyOf(allocations);
    skipped = List.copyOf(skipped);
    subgraphs = Map.copyOf(subgraphs);
  }

  /**
   * One tensor's place: {@code [offset, offset + size)} for steps {@code firstStep..lastStep}.
   * {@code sharesWith} names the value whose buffer this one uses by design (an alias or an
   * in-place output), or is {@code null} for a buffer's first value.
   */
  public record Allocation(String value, long offset, long size, int firstStep, int lastStep,
      String sharesWith) {
    boolean overlapsInTime(Allocation o) {
      return firstStep <= o.lastStep && o.firstStep <= lastStep;
    }

    boolean overlapsInMemory(Allocation o) {
      return offset < o.offset + o.size && o.offset < offset + size;
    }
  }

  /**
   * The first pair of allocations alive at the same step that share bytes without sharing a
   * buffer by design, naming both values, or {@code null} when the plan (and every subgraph's)
   * is sound.
   */
  public String firstConflict() {
    Map<String, Allocation> byName = new HashMap<>();
    for (Allocation a : allocations) {
      byName.put(a.value(), a);
    }
    for (int i = 0; i < allocations.size(); i++) {
      for (int j = i + 1; j < allocations.size(); j++) {
        Allocation a = allocations.get(i);
        Allocation b = allocations.get(j);
        if (a.overlapsInTime(b) && a.overlapsInMemory(b)
            && !Objects.equals(root(a, byName), root(b, byName))) {
          return a.value() + " " + a + " overlaps " + b.value() + " " + b;
        }
      }
    }
    for (var e : subgraphs.entrySet()) {
      String c = e.getValue().firstConflict();
      if (c != null) {
        return "subgraph " + e.getKey() + ": " + c;
      }
    }
    return null;
  }

  /** The first value of {@code a}'s buffer; a sharer must sit exactly on that value's bytes. */
  public static String root(Allocation a, Map<String, Allocation> byName) {
    Allocation cur = a;
    for (int hops = 0; cur.sharesWith() != null && hops <= byName.size(); hops++) {
      Allocation next = byName.get(cur.sharesWith());
      if (next == null || next.offset() != cur.offset() || next.size() != cur.size()) {
        return cur.value();
      }
      cur = next;
    }
    return cur.value();
  }
}
