package dev.convoy.ir.ops;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The kernels' thread pool: splits an index range into chunks that run at once. Each chunk must
 * write a disjoint part of the output, so results never depend on scheduling (the evaluator is
 * deterministic). Small ranges run on the calling thread. The calling thread works too: it and
 * up to {@code threads - 1} pool helpers claim chunks from a shared counter, and the caller
 * then waits only for chunks already being run, so a helper that starts late (a busy machine)
 * costs nothing and nested use from inside a chunk cannot deadlock. Pools are shared per thread
 * count and use daemon threads.
 */
public final class Parallel {
  /** Below this much estimated work (element operations) a range runs serially. */
  private static final long MIN_PARALLEL_WORK = 1L << 16;

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

  /** {@code threads} workers in all, the calling thread included ({@code <= 1}: serial). */
  public static Parallel of(int threads) {
    if (threads <= 1) {
      return SERIAL;
    }
    ForkJoinPool p = POOLS.computeIfAbsent(threads, n -> new ForkJoinPool(
        n - 1, pool -> {
          var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
          t.setDaemon(true);
          t.setName("convoy-eval-" + t.getPoolIndex());
          return t;
        }, null, true));
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
    if (pool == null || n == 1 || (long) n * Math.max(1, workPerItem) < MIN_PARALLEL_WORK) {
      body.run(0, n);
      return;
    }
    int chunks = (int) Math.min(n, threads * 4L);
    Job job = new Job(n, chunks, body);
    for (int h = Math.min(threads - 1, chunks - 1); h > 0; h--) {
      pool.execute(job::work);
    }
    job.work();
    job.await();
  }

  /** One forRange call: chunks claimed in order from a counter by whoever is free. */
  private static final class Job {
    private final int n;
    private final int chunks;
    private final RangeBody body;
    private final Thread owner = Thread.currentThread();
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger done = new AtomicInteger();
    private volatile Throwable failure;

    Job(int n, int chunks, RangeBody body) {
      this.n = n;
      this.chunks = chunks;
      this.body = body;
    }

    void work() {
      for (int c = next.getAndIncrement(); c < chunks; c = next.getAndIncrement()) {
        try {
          body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
        } catch (Throwable t) {
          if (failure == null) {
            failure = t;
          }
        } finally {
          if (done.incrementAndGet() == chunks) {
            LockSupport.unpark(owner);
          }
        }
      }
    }

    void await() {
      while (done.get() < chunks) {
        LockSupport.park(this);
      }
      Throwable t = failure;
      if (t instanceof RuntimeException e) {
        throw e;
      }
      if (t instanceof Error e) {
        throw e;
      }
      if (t != null) {
        throw new IllegalStateException(t);
      }
    }
  }
}
