package dev.convoy.pipeline.run;

import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Console progress of a run: a line per finished model ({@code [ 3/12] ok  name}) with the
 * failures so far and the elapsed time, and a heartbeat line when nothing finished for a while.
 * Models report through {@link #tick}, called by the pipeline's last step; trackers live in this
 * JVM, which covers the Direct runner and embedded Flink. On a remote cluster the workers have no
 * tracker and log one line per model instead, and the console follows the run's counters from a
 * {@link ProgressSource} ({@code [ 57/300] done on the cluster}), polled every 2 seconds.
 */
public final class Progress implements AutoCloseable {
  private static final Map<String, Progress> RUNS = new ConcurrentHashMap<>();
  private static final long HEARTBEAT_MS = 15_000;
  private static final long POLL_MS = 2_000;

  private final String runId;
  private final int total;
  private final PrintWriter out;
  private final ProgressSource source;
  private final long start = System.nanoTime();
  private final AtomicInteger done = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private final AtomicLong lastLine = new AtomicLong(System.nanoTime());
  private final Thread heartbeat;

  private Progress(String runId, int total, PrintWriter out, ProgressSource source) {
    this.runId = runId;
    this.total = total;
    this.out = out;
    this.source = source;
    this.heartbeat = new Thread(this::beat, "convoy-progress-" + runId);
    heartbeat.setDaemon(true);
  }

  /** Starts tracking run {@code runId} of {@code total} models, printing to {@code out}. */
  public static Progress start(String runId, int total, PrintWriter out) {
    return start(runId, total, out, ProgressSource.NONE);
  }

  /**
   * Starts tracking run {@code runId} of {@code total} models, printing to {@code out}, with the
   * counters of {@code source} for models that finish outside this JVM.
   */
  public static Progress start(String runId, int total, PrintWriter out, ProgressSource source) {
    Progress p = new Progress(runId, total, out, source);
    RUNS.put(runId, p);
    out.printf("convoy run %s: %d models%n", runId, total);
    out.flush();
    p.heartbeat.start();
    return p;
  }

  /** Records that {@code model} of run {@code runId} finished ({@code ok}) or failed. */
  public static void tick(String runId, String model, boolean ok, String note) {
    Progress p = RUNS.get(runId);
    if (p == null) {
      System.out.printf("convoy run %s: %s %s %s%n", runId, ok ? "ok" : "FAILED", model, note);
      return;
    }
    p.record(model, ok, note);
  }

  private void record(String model, boolean ok, String note) {
    int n = done.incrementAndGet();
    int f = ok ? failed.get() : failed.incrementAndGet();
    int width = String.valueOf(total).length();
    synchronized (out) {
      out.printf("[%" + width + "d/%d] %-6s %-32s %s (failures %d, %s)%n", n, total,
          ok ? "ok" : "FAILED", model, note, f, elapsed());
      out.flush();
    }
    lastLine.set(System.nanoTime());
  }

  private String elapsed() {
    long s = (System.nanoTime() - start) / 1_000_000_000L;
    return String.format("%02d:%02d elapsed", s / 60, s % 60);
  }

  /**
   * Takes the counters of models finished elsewhere: a line when more are done than this tracker
   * has seen (counters only grow while an attempt runs; a restarted job's count starts again and is
   * shown once it passes the count shown).
   */
  private void observe(Map<String, Long> counters) {
    int ok = counters.getOrDefault(ProgressFn.FINISHED, 0L).intValue();
    int f = counters.getOrDefault(ProgressFn.FAILED, 0L).intValue();
    if (ok + f <= done.get()) {
      return;
    }
    done.set(ok + f);
    failed.set(f);
    int width = String.valueOf(total).length();
    synchronized (out) {
      out.printf("[%" + width + "d/%d] done on the cluster (failures %d, %s)%n", ok + f, total, f,
          elapsed());
      out.flush();
    }
    lastLine.set(System.nanoTime());
  }

  private void beat() {
    long lastPoll = System.nanoTime();
    while (!Thread.currentThread().isInterrupted()) {
      try {
        Thread.sleep(1000);
      } catch (InterruptedException e) {
        return;
      }
      if (source != ProgressSource.NONE && System.nanoTime() - lastPoll > POLL_MS * 1_000_000L) {
        lastPoll = System.nanoTime();
        source.counters().ifPresent(this::observe);
      }
      if (System.nanoTime() - lastLine.get() > HEARTBEAT_MS * 1_000_000L) {
        synchronized (out) {
          out.printf("... %d/%d models done, %d failed, %s%n", done.get(), total, failed.get(),
              elapsed());
          out.flush();
        }
        lastLine.set(System.nanoTime());
      }
    }
  }

  public int done() {
    return done.get();
  }

  public int failed() {
    return failed.get();
  }

  @Override
  public void close() {
    heartbeat.interrupt();
    RUNS.remove(runId, this);
  }
}
