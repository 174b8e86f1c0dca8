package dev.convoy.runners.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * CPU time a JVM process spent so far, split by what its threads do: JIT compilation ({@code C1/C2
 * CompilerThread}), garbage collection ({@code GC Thread}, {@code G1 ...}, and the {@code VM
 * Thread}, where the serial collector and safepoint work run) and everything else (the tasks, the
 * framework, native threads). The total is the process's ({@code /proc/PID/stat}, which keeps
 * the time of threads that ended, such as a finished job's task threads); JIT and GC are read per
 * thread from {@code /proc/PID/task/TID/stat} by thread name (those threads live as long as the
 * JVM). All zero where {@code /proc} does not tell.
 */
record JvmCpu(double jit, double gc, double other) {
  /** Clock ticks per second of {@code /proc} times (USER_HZ). */
  static final double TICKS_PER_SECOND = 100.0;

  /** The CPU seconds of process {@code pid} so far, by kind of thread. */
  static JvmCpu of(long pid) {
    Map<String, Long> ticks = new LinkedHashMap<>(Map.of("jit", 0L, "gc", 0L, "other", 0L));
    Path proc = Path.of("/proc", String.valueOf(pid));
    long total;
    try (Stream<Path> threads = Files.list(proc.resolve("task"))) {
      total = used(proc.resolve("stat"));
      for (Path t : threads.toList()) {
        try {
          ticks.merge(kind(Files.readString(t.resolve("comm")).strip()), used(t.resolve("stat")),
              Long::sum);
        } catch (IOException | RuntimeException e) {
          // The thread ended between listing and reading.
        }
      }
    } catch (IOException | RuntimeException e) {
      return new JvmCpu(0, 0, 0);
    }
    long jit = ticks.get("jit");
    long gc = ticks.get("gc");
    return new JvmCpu(jit / TICKS_PER_SECOND, gc / TICKS_PER_SECOND,
        (total - jit - gc) / TICKS_PER_SECOND);
  }

  /** utime + stime of a {@code stat} file, in clock ticks. */
  private static long used(Path stat) throws IOException {
    String s = Files.readString(stat);
    // Fields after the parenthesized name: state is field 3, utime 14, stime 15.
    String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  private static String kind(String thread) {
    if (thread.startsWith("C1 Compiler") || thread.startsWith("C2 Compiler")) {
      return "jit";
    }
    if (thread.startsWith("GC Thread") || thread.startsWith("G1 ") || thread.equals("VM Thread")) {
      return "gc";
    }
    return "other";
  }

  /** CPU spent between {@code before} and this reading. */
  JvmCpu minus(JvmCpu before) {
    return new JvmCpu(jit - before.jit, gc - before.gc, other - before.other);
  }

  double total() {
    return jit + gc + other;
  }

  @Override
  public String toString() {
    return String.format("%.1f (jit %.1f, gc %.1f)", total(), jit, gc);
  }
}
