package dev.convoy.runners.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.junit.jupiter.api.Test;

/**
 * The FUSED suite's interleaved timing: each side's wall and CPU medians come from that side's
 * runs, CPU from the calling thread's CPU time (what a loaded machine disturbs least).
 */
class FusedTargetBenchmarkTest {
  private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();

  /** Busy for {@code ms} of this thread's CPU time. */
  private static void spin(long ms) {
    long end = MX.getCurrentThreadCpuTime() + ms * 1_000_000L;
    long x = 0;
    while (MX.getCurrentThreadCpuTime() < end) {
      x++;
    }
    if (x == 42) {
      System.out.print("");
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Test
  void cpuColumnsCountTheThreadsCpuTimeOfEachSide() {
    double[] t = FusedTargetBenchmark.interleaved(0, 3, () -> spin(20), () -> sleep(20));
    // {wall a, wall b, cpu a, cpu b}: the spinning side used its 20 ms of CPU, the sleeping
    // side spent its 20 ms of wall time without CPU.
    assertTrue(t[2] >= 19, "cpu of the spinning side: " + t[2]);
    assertTrue(t[3] < 10, "cpu of the sleeping side: " + t[3]);
    assertTrue(t[1] >= 19, "wall of the sleeping side: " + t[1]);
    assertTrue(t[0] >= t[2] - 1, "wall of the spinning side below its cpu: " + t[0]);
  }
}
