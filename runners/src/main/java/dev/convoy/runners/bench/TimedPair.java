package dev.convoy.runners.bench;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;

/**
 * Two runs timed alternately (which goes first swaps every repetition, so that a change in the
 * machine's load hits both alike), with the heap each run allocates on the calling thread
 * (HotSpot's counter; kernels run on one thread in the suites that use this) and what the
 * garbage collectors did during the timed runs of both: a one-thread evaluator whose wall time
 * exceeds its CPU time is being stopped, by GC pauses among other things.
 *
 * @param msA median milliseconds of a run of {@code a}
 * @param msB median milliseconds of a run of {@code b}
 * @param cpuA median milliseconds of the calling thread's CPU time in a run of {@code a}
 * @param cpuB the same for {@code b}
 * @param mbA median MiB allocated by a run of {@code a}
 * @param mbB median MiB allocated by a run of {@code b}
 * @param gcCount collections during the timed runs (both sides)
 * @param gcMillis milliseconds the collectors report for them
 */
record TimedPair(double msA, double msB, double cpuA, double cpuB, double mbA, double mbB,
    long gcCount, long gcMillis) {
  /**
   * Warm-up lasts at least this long as well as the asked number of runs: a sub-millisecond model
   * is otherwise timed while its kernels are still being compiled (small_cnn_qdq measured 0.13x
   * and 7.3x O2/O1 in two runs of three warm-ups each), and until C2 compiles the Vector API
   * kernels their vectors are boxed, tens of MB per run.
   */
  static final long MIN_WARMUP_NANOS = 1_000_000_000L;

  /** Runs {@code a} and {@code b} {@code warmup} times and for at least 1 s, then times them. */
  static TimedPair of(int warmup, int reps, Runnable a, Runnable b) {
    long start = System.nanoTime();
    for (int i = 0; i < warmup || System.nanoTime() - start < MIN_WARMUP_NANOS; i++) {
      a.run();
      b.run();
    }
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    double[][] ms = new double[2][reps];
    double[][] cpu = new double[2][reps];
    double[][] mb = new double[2][reps];
    long[] gc0 = collections();
    for (int i = 0; i < reps; i++) {
      for (int k = 0; k < 2; k++) {
        int side = (i + k) % 2;
        long bytes = threads.getCurrentThreadAllocatedBytes();
        long c0 = threads.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        (side == 0 ? a : b).run();
        ms[side][i] = (System.nanoTime() - t0) / 1e6;
        cpu[side][i] = (threads.getCurrentThreadCpuTime() - c0) / 1e6;
        mb[side][i] = (threads.getCurrentThreadAllocatedBytes() - bytes) / (double) (1 << 20);
      }
    }
    long[] gc1 = collections();
    return new TimedPair(BenchTable.median(ms[0]), BenchTable.median(ms[1]),
        BenchTable.median(cpu[0]), BenchTable.median(cpu[1]), BenchTable.median(mb[0]),
        BenchTable.median(mb[1]), gc1[0] - gc0[0], gc1[1] - gc0[1]);
  }

  /** Collections so far and their milliseconds, over every collector of the JVM. */
  private static long[] collections() {
    long count = 0;
    long millis = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      count += Math.max(0, gc.getCollectionCount());
      millis += Math.max(0, gc.getCollectionTime());
    }
    return new long[] {count, millis};
  }

  /** {@code "n (ms)"}: collections during the timed runs and their milliseconds. */
  String gc() {
    return gcCount + " (" + gcMillis + ")";
  }
}
