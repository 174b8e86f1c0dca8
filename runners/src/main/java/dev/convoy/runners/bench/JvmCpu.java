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
record JvmCpu(double jit, double gc, double other, Map<String, Double> byThread) {
  /** Clock ticks per second of {@code /proc} times (USER_HZ). */
  static final double TICKS_PER_SECOND = 100.0;

  /** The CPU seconds of process {@code pid} so far, by kind of thread. */
  static JvmCpu of(long pid) {
    Map<String, Long> ticks = new LinkedHashMap<>(Map.of("jit", 0L, "gc", 0L, "other", 0L));
    Map<String, Double> byThread = new LinkedHashMap<>();
    Path proc = Path.of("/proc", String.valueOf(pid));
    long total;
    try (Stream<Path> threads = Files.list(proc.resolve("task"))) {
      total = used(proc.resolve("stat"));
      for (Path t : threads.toList()) {
        try {
          String name = Files.readString(t.resolve("comm")).strip();
          long used = used(t.resolve("stat"));
          ticks.merge(kind(name), used, Long::sum);
          byThread.merge(group(name), used / TICKS_PER_SECOND, Double::sum);
        } catch (IOException | RuntimeException e) {
          // The thread ended between listing and reading.
        }
      }
    } catch (IOException | RuntimeException e) {
      return new JvmCpu(0, 0, 0, Map.of());
    }
    long jit = ticks.get("jit");
    long gc = ticks.get("gc");
    return new JvmCpu(jit / TICKS_PER_SECOND, gc / TICKS_PER_SECOND,
        (total - jit - gc) / TICKS_PER_SECOND, byThread);
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

  /**
   * A thread's group: its name without numbers ({@code flink-pekko.actor.default-dispatcher-12}
   * and {@code -13} are one group), at most 15 characters as {@code comm} keeps them.
   */
  private static String group(String thread) {
    return thread.replaceAll("[0-9]+", "#");
  }

  /**
   * CPU spent between {@code before} and this reading (by thread group: the threads alive now;
   * those that ended in between are in {@link #other} only).
   */
  JvmCpu minus(JvmCpu before) {
    Map<String, Double> threads = new LinkedHashMap<>();
    byThread.forEach((k, v) -> threads.put(k, v - before.byThread.getOrDefault(k, 0.0)));
    return new JvmCpu(jit - before.jit, gc - before.gc, other - before.other, threads);
  }

  /** The {@code n} thread groups that used the most CPU, as {@code name s} pairs. */
  String top(int n) {
    return byThread.entrySet().stream()
        .sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(n)
        .map(e -> String.format("%s %.1f", e.getKey(), e.getValue()))
        .collect(java.util.stream.Collectors.joining(", "));
  }

  double total() {
    return jit + gc + other;
  }

  @Override
  public String toString() {
    return String.format("%.1f (jit %.1f, gc %.1f)", total(), jit, gc);
  }
}
