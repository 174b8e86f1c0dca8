package dev.convoy.ir.ops;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

/**
 * The kernels' thread pool: splits an index range into chunks that run at once. Each chunk must
 * write a disjoint part of the output, so results never depend on scheduling (the evaluator is
 * deterministic). Small ranges run on the calling thread. Pools are shared per thread count and
 * use daemon threads; nested use from inside a chunk is safe (fork/join work stealing).
 */
public final class Parallel {
  /** Below this much estimated work (element operations) a range runs serially. */
  private static final long MIN_PARALLEL_WORK = 1L << 15;

  private static final ConcurrentHashMap<Integer, ForkJoinPool> POOLS = new ConcurrentHashMap<>();
  private static final Parallel SERIAL = new Parallel(1, null);

  private final int threads;
  private final ForkJoinPool pool;

  private Parallel(int threads, ForkJoinPool pool) {
    this.threads = threads;
    this.pool = pool;
  }

  /** Runs everything on the calling thread. */
  public static Parallel serial() {
    return SERIAL;
  }

  /** A pool of {@code threads} workers ({@code <= 1}: serial). */
  public static Parallel of(int threads) {
    if (threads <= 1) {
      return SERIAL;
    }
    ForkJoinPool p = POOLS.computeIfAbsent(threads, n -> new ForkJoinPool(
        n, pool -> {
          var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
          t.setDaemon(true);
          t.setName("convoy-eval-" + t.getPoolIndex());
          return t;
        }, null, false));
    return new Parallel(threads, p);
  }

  /** One thread per available processor. */
  public static Parallel available() {
    return of(Runtime.getRuntime().availableProcessors());
  }

  public int threads() {
    return threads;
  }

  /** A chunk of work over {@code [from, to)}. */
  @FunctionalInterface
  public interface RangeBody {
    void run(int from, int to);
  }

  /**
   * Runs {@code body} over {@code [0, n)} in chunks; {@code workPerItem} estimates the element
   * operations per index so cheap ranges stay serial.
   */
  public void forRange(int n, long workPerItem, RangeBody body) {
    if (n <= 0) {
      return;
    }
    int chunks = (int) Math.min(n, threads * 4L);
    if (pool == null || n == 1 || (long) n * Math.max(1, workPerItem) < MIN_PARALLEL_WORK) {
      body.run(0, n);
      return;
    }
    List<RecursiveAction> tasks = new ArrayList<>(chunks);
    for (int c = 0; c < chunks; c++) {
      int from = (int) ((long) n * c / chunks);
      int to = (int) ((long) n * (c + 1) / chunks);
      tasks.add(new RecursiveAction() {
        @Override
        protected void compute() {
          body.run(from, to);
        }
      });
    }
    if (ForkJoinTask.inForkJoinPool() && ForkJoinTask.getPool() == pool) {
      ForkJoinTask.invokeAll(tasks);
    } else {
      pool.invoke(new RecursiveAction() {
        @Override
        protected void compute() {
          ForkJoinTask.invokeAll(tasks);
        }
      });
    }
  }
}
