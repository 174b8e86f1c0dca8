package dev.convoy.ir.eval;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What runs inside memory-plan arenas did, added up over the runs an {@link Evaluator} records
 * ({@link Evaluator#recordArenaUse}): bytes of the arena arrays allocated, kernel outputs placed
 * in their planned places (copied there, or computed there by {@link ArenaKernels}), planned
 * values copied out for a kernel to read, and aliased outputs served as views of their input's
 * bytes without running their kernel.
 */
public final class ArenaUse {
  private final AtomicLong allocatedBytes = new AtomicLong();
  private final AtomicLong writtenBytes = new AtomicLong();
  private final AtomicLong copiedOutBytes = new AtomicLong();
  private final AtomicLong writes = new AtomicLong();
  private final AtomicLong views = new AtomicLong();
  private final AtomicLong inArena = new AtomicLong();

  void allocated(long bytes) {
    allocatedBytes.addAndGet(bytes);
  }

  void written(long bytes) {
    writes.incrementAndGet();
    writtenBytes.addAndGet(bytes);
  }

  void copiedOut(long bytes) {
    copiedOutBytes.addAndGet(bytes);
  }

  void computedInArena() {
    inArena.incrementAndGet();
  }

  void viewed() {
    views.incrementAndGet();
  }

  /**
   * Bytes of arena arrays allocated: one set per graph activated, which the evaluator keeps for
   * its next run of the same graph.
   */
  public long allocatedBytes() {
    return allocatedBytes.get();
  }

  /** Outputs computed straight into their planned place (no output array, no input copies). */
  public long inArena() {
    return inArena.get();
  }

  /** Kernel outputs placed in an arena (copied there or computed in place). */
  public long writes() {
    return writes.get();
  }

  /** Bytes of kernel outputs copied to their planned places. */
  public long writtenBytes() {
    return writtenBytes.get();
  }

  /** Bytes of planned values copied out of an arena for kernels to read. */
  public long copiedOutBytes() {
    return copiedOutBytes.get();
  }

  /** Aliased outputs made views of their input's planned bytes. */
  public long views() {
    return views.get();
  }
}
