package dev.convoy.ir.eval;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What the runs an {@link Evaluator} records ({@link Evaluator#recordArenaUse}) did with memory:
 * bytes of the memory-plan arena arrays allocated, kernel outputs placed in their planned places
 * (computed there through {@link dev.convoy.ir.ops.KernelContext#output}, or copied there),
 * aliased outputs served as views of their input's bytes without running their kernel, and the
 * live peak: the most bytes of tensors the evaluator held at once (arena arrays in use plus the
 * heap tensors bound to values, inputs and outputs included; kernel scratch not counted). Counts
 * add up over runs; the peak is the largest of one run's.
 */
public final class ArenaUse {
  private final AtomicLong allocatedBytes = new AtomicLong();
  private final AtomicLong copiedInBytes = new AtomicLong();
  private final AtomicLong writes = new AtomicLong();
  private final AtomicLong views = new AtomicLong();
  private final AtomicLong inArena = new AtomicLong();
  private final AtomicLong peakLiveBytes = new AtomicLong();

  void allocated(long bytes) {
    allocatedBytes.addAndGet(bytes);
  }

  void written() {
    writes.incrementAndGet();
  }

  void copiedIn(long bytes) {
    copiedInBytes.addAndGet(bytes);
  }

  void computedInArena() {
    inArena.incrementAndGet();
  }

  void viewed() {
    views.incrementAndGet();
  }

  void live(long bytes) {
    peakLiveBytes.accumulateAndGet(bytes, Math::max);
  }

  /**
   * Bytes of arena arrays allocated: one set per graph activated, which the evaluator keeps for
   * its next run of the same graph.
   */
  public long allocatedBytes() {
    return allocatedBytes.get();
  }

  /** Outputs a kernel computed straight into their planned place (no output array, no copy). */
  public long inArena() {
    return inArena.get();
  }

  /** Kernel outputs placed in an arena (computed in place or copied there). */
  public long writes() {
    return writes.get();
  }

  /** Bytes of kernel outputs computed elsewhere and copied to their planned places. */
  public long copiedInBytes() {
    return copiedInBytes.get();
  }

  /** Aliased outputs made views of their input's planned bytes. */
  public long views() {
    return views.get();
  }

  /**
   * The most tensor bytes one recorded run held at once: arena arrays plus heap tensors bound to
   * values (graph inputs, values the plan leaves out, outputs), after each node.
   */
  public long peakLiveBytes() {
    return peakLiveBytes.get();
  }
}
