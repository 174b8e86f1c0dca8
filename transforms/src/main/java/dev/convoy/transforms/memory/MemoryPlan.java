package dev.convoy.transforms.memory;

import java.util.List;

/**
 * An arena plan: every planned intermediate at an offset such that tensors alive at the same step
 * never overlap. {@code lowerBoundBytes} is the largest sum of (aligned) sizes alive at one step,
 * which no plan can beat; {@code naiveBytes} is the sum of all sizes (one buffer each). {@code
 * skipped} names the intermediates left out because their shape or element size is not static.
 */
public record MemoryPlan(long arenaBytes, long lowerBoundBytes, long naiveBytes,
    List<Allocation> allocations, List<String> skipped) {

  public MemoryPlan {
    allocations = List.copyOf(allocations);
    skipped = List.copyOf(skipped);
  }

  /** One tensor's place: {@code [offset, offset + size)} for steps {@code firstStep..lastStep}. */
  public record Allocation(String value, long offset, long size, int firstStep, int lastStep) {
    boolean overlapsInTime(Allocation o) {
      return firstStep <= o.lastStep && o.firstStep <= lastStep;
    }

    boolean overlapsInMemory(Allocation o) {
      return offset < o.offset + o.size && o.offset < offset + size;
    }
  }

  /**
   * The first pair of allocations alive at the same step that share bytes, or {@code null} when
   * the plan is sound.
   */
  public String firstConflict() {
    for (int i = 0; i < allocations.size(); i++) {
      for (int j = i + 1; j < allocations.size(); j++) {
        Allocation a = allocations.get(i);
        Allocation b = allocations.get(j);
        if (a.overlapsInTime(b) && a.overlapsInMemory(b)) {
          return a + " overlaps " + b;
        }
      }
    }
    return null;
  }
}
