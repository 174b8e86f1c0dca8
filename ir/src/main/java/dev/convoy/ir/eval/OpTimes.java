package dev.convoy.ir.eval;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Wall time spent in kernels per op type, and the heap they allocate, for finding where an
 * evaluator run goes. Filled by an {@link Evaluator} given one with {@link
 * Evaluator#recordOpTimes}; a control-flow node's figures include the nodes of its bodies, which
 * are also counted under their own op types. Allocation is the calling thread's (HotSpot's
 * per-thread counter; 0 where the JVM does not count): what kernel chunks allocate on the
 * {@link dev.convoy.ir.ops.runtime.Parallel} pool's helper threads is not in it.
 */
public final class OpTimes {
  /** One op type's totals. */
  public record Entry(String op, long calls, long nanos, long allocatedBytes) {}

  private final Map<String, LongAdder[]> totals = new ConcurrentHashMap<>();

  void add(String op, long nanos, long allocatedBytes) {
    LongAdder[] t = totals.computeIfAbsent(op, k -> new LongAdder[] {new LongAdder(),
        new LongAdder(), new LongAdder()});
    t[0].increment();
    t[1].add(nanos);
    t[2].add(allocatedBytes);
  }

  /**
   * Bytes the calling thread has allocated so far (HotSpot's counter), or 0 where the JVM does
   * not count them.
   */
  static long threadAllocatedBytes() {
    return THREADS == null ? 0 : THREADS.getCurrentThreadAllocatedBytes();
  }

  private static final com.sun.management.ThreadMXBean THREADS = threads();

  private static com.sun.management.ThreadMXBean threads() {
    try {
      var mx = java.lang.management.ManagementFactory.getThreadMXBean();
      if (mx instanceof com.sun.management.ThreadMXBean t && t.isThreadAllocatedMemorySupported()
          && t.isThreadAllocatedMemoryEnabled()) {
        return t;
      }
    } catch (LinkageError | SecurityException e) {
      // No jdk.management module: allocation is not counted.
    }
    return null;
  }

  /** Every op type seen, most total time first. */
  public List<Entry> entries() {
    List<Entry> out = new ArrayList<>();
    totals.forEach((op, t) -> out.add(new Entry(op, t[0].sum(), t[1].sum(), t[2].sum())));
    out.sort(Comparator.comparingLong(Entry::nanos).reversed().thenComparing(Entry::op));
    return out;
  }

  /** Forgets everything recorded (e.g. after warm-up runs). */
  public void clear() {
    totals.clear();
  }

  /** A table: op, calls, total ms, share of the total, MB allocated. */
  @Override
  public String toString() {
    List<Entry> es = entries();
    long all = es.stream().mapToLong(Entry::nanos).sum();
    StringBuilder sb = new StringBuilder();
    for (Entry e : es) {
      sb.append(String.format(Locale.ROOT, "%-24s %7d calls %10.2f ms %5.1f%% %10.3f MB%n",
          e.op(), e.calls(), e.nanos() / 1e6, all == 0 ? 0 : 100.0 * e.nanos() / all,
          e.allocatedBytes() / 1048576.0));
    }
    return sb.toString();
  }
}
