package dev.convoy.ir.ops.runtime;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The kernels' thread pool: splits an index range into chunks that run at once. Each chunk must
 * write a disjoint part of the output, so results never depend on scheduling (the evaluator is
 * deterministic). Small ranges run on the calling thread. The calling thread works too: it and
 * up to {@code threads - 1} helper threads claim chunks from a shared counter, and the caller
 * then waits only for chunks already being run, so a helper that starts late costs nothing and
 * nested use from inside a chunk cannot deadlock. Helpers spin briefly after their last chunk
 * before parking: waking a parked thread takes tens of microseconds on a virtual machine, longer
 * than many kernels, so without the spin a model's short ops would never see a second thread.
 * Pools are shared per thread count and use daemon threads.
 */
public final class Parallel {
  /**
   * Below this much estimated work (element operations, some tens of microseconds) a range runs
   * serially: sharing chunks costs microseconds of queueing and cache traffic between cores.
   */
  private static final long MIN_PARALLEL_WORK = 1L << 18;
  /** How long an idle helper keeps polling for work before it parks. */
  private static final long SPIN_NANOS = 200_000;

  private static final ConcurrentHashMap<Integer, Pool> POOLS = new ConcurrentHashMap<>();
  private static final Parallel SERIAL = new Parallel(1, null);

  private final int threads;
  private final Pool pool;

  private Parallel(int threads, Pool pool) {
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
    return new Parallel(threads, POOLS.computeIfAbsent(threads, n -> new Pool(n - 1)));
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
    Job job = new Job(n, (int) Math.min(n, threads * 4L), body);
    pool.offer(job);
    try {
      job.work();
      job.await();
    } finally {
      pool.jobs.remove(job);
    }
  }

  /** Helper threads polling a queue of jobs. */
  private static final class Pool {
    final ConcurrentLinkedQueue<Job> jobs = new ConcurrentLinkedQueue<>();
    final Helper[] helpers;

    Pool(int count) {
      helpers = new Helper[count];
      for (int i = 0; i < count; i++) {
        helpers[i] = new Helper(this);
        Thread t = new Thread(helpers[i], "convoy-eval-" + (i + 1) + "/" + count);
        t.setDaemon(true);
        helpers[i].thread = t;
        t.start();
      }
    }

    void offer(Job job) {
      jobs.add(job);
      for (Helper h : helpers) {
        if (h.parked) {
          LockSupport.unpark(h.thread);
        }
      }
    }
  }

  /** A helper: runs chunks of queued jobs, spins a while when there are none, then parks. */
  private static final class Helper implements Runnable {
    final Pool pool;
    volatile Thread thread;
    volatile boolean parked;

    Helper(Pool pool) {
      this.pool = pool;
    }

    @Override
    public void run() {
      long idleSince = System.nanoTime();
      while (true) {
        Job job = pool.jobs.peek();
        if (job != null) {
          if (!job.work()) {
            pool.jobs.remove(job);
          }
          idleSince = System.nanoTime();
        } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
          Thread.onSpinWait();
        } else {
          parked = true;
          if (pool.jobs.isEmpty()) {
            LockSupport.park(this);
          }
          parked = false;
          idleSince = System.nanoTime();
        }
      }
    }
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

    /** Runs chunks until none is left unclaimed; false when there was nothing to claim. */
    boolean work() {
      boolean any = false;
      for (int c = next.getAndIncrement(); c < chunks; c = next.getAndIncrement()) {
        any = true;
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
      return any;
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
