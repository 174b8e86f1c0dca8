package dev.convoy.runners.bench;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.eval.ArenaUse;
import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.format.CvyReader;
import dev.convoy.ir.format.CvyWriter;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.memory.MemoryPlan;
import dev.convoy.ir.memory.MemoryPlanCodec;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.RuntimeValue;
import dev.convoy.ir.ops.runtime.Parallel;
import dev.convoy.transforms.convert.Models;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.Optimizer;
import dev.convoy.transforms.optimize.Target;
import dev.convoy.transforms.verify.ModelVerification;
import dev.convoy.transforms.verify.SeededInputs;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Memory of an evaluation of a planned {@code .cvy}: each model optimized at O3 for the {@code
 * cvy} target (channels-last ops) with its input shapes made static (the oracle arguments'
 * shapes), written as {@code .cvy} and read back, then run on one thread with the plan's arena
 * and, in the same process, without it, the two runs alternating. Beside LOAD (the plan's lower
 * bound) and the plan's arena it gives the bytes of the arena arrays the evaluator allocates (one
 * array per storage class) and the least such arrays can be ({@link
 * Evaluator#arenaClassPeaks}), the live peak of each run as the evaluator counts it ({@link
 * ArenaUse#peakLiveBytes}: arena arrays plus the heap tensors bound to values) and the heap each
 * run allocates besides the arena (HotSpot's per-thread allocated-bytes counter, median of the
 * timed runs).
 */
public final class MemoryBenchmark {
  private MemoryBenchmark() {}

  public static BenchTable run(List<Path> models, int warmup, int reps) throws IOException {
    BenchTable table = new BenchTable("Memory of a planned .cvy evaluation (O3, one thread)",
        "model", "LOAD MB", "plan arena / LOAD", "planner", "in-place", "arena arrays MB",
        "arrays / plan arenas", "class peaks MB", "peak of each class MB", "live peak unplanned MB", "live peak in arena MB",
        "live peak in arena / LOAD", "heap/run unplanned MB", "heap/run in arena MB",
        "heap/run in arena / unplanned", "ms unplanned", "ms in arena");
    Path dir = Files.createTempDirectory("convoy-bench-memory");
    try {
      for (Path model : models) {
        String name = model.getFileName().toString();
        try {
          measure(model, name, dir, warmup, reps, table);
        } catch (ConvoyException e) {
          table.row(name, "-", "not measured: " + e.getMessage().replace('|', '/'), "-", "-", "-",
              "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-");
        }
      }
    } finally {
      try (var files = Files.list(dir)) {
        for (Path p : files.toList()) {
          Files.deleteIfExists(p);
        }
      }
      Files.deleteIfExists(dir);
    }
    return table.note("LOAD = most planned bytes alive at one step (the plan's lower bound);"
        + " the plan puts values of every element type in one byte address space. Arena"
        + " arrays: one per storage class, holding the planned places of its values, allocated by"
        + " the first run and kept by the evaluator for the next; plan arenas: the top-level"
        + " graph's and its subgraphs' (loop bodies); peak of each class: per storage class, the"
        + " most planned bytes of that class alive at one step; class peaks: their sum, the least"
        + " such arrays can be (no class's array can take another's bytes as the plan does)."
        + " Live peak: the"
        + " most tensor bytes the evaluator held after a node (arena arrays plus heap tensors"
        + " bound to values, graph inputs and outputs included; weights and kernel scratch not"
        + " counted). Heap/run: bytes allocated by one run on the calling thread besides the"
        + " kept arena (the outputs, kernel outputs not written in place, copies of arena values a"
        + " kernel reads densely, per-node bookkeeping; inputs converted once); ms: wall time of"
        + " one run. Each side is an evaluator session of the .cvy target's O3 file. Medians of "
        + reps + " runs after " + warmup + " warm-up runs (and at least 1 s of them), planned and"
        + " unplanned alternating.");
  }

  private static void measure(Path model, String name, Path dir, int warmup, int reps,
      BenchTable table) {
    Map<String, long[]> shapes = ModelVerification.shapes(model, Map.of());
    Graph o3 = Optimizer.optimize(Models.load(model), new OptimizeOptions(Level.O3,
        Set.of(), Set.of(), null, shapes, false, OptimizeOptions.DEFAULT_FOLD_CAP, Target.CVY))
        .graph();
    Path cvy = dir.resolve(name + ".cvy");
    CvyWriter.write(o3, cvy);
    Graph planned = CvyReader.read(cvy);
    MemoryPlan plan = MemoryPlanCodec.stored(planned).orElse(null);
    if (plan == null) {
      table.row(name, "-", "no plan", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-",
          "-", "-", "-");
      return;
    }
    Map<String, RuntimeValue> inputs =
        FusedTargetBenchmark.arrays(SeededInputs.generate(planned, shapes));
    long arrays = Evaluator.arenaBytes(planned);
    Map<String, Long> peaks = Evaluator.arenaClassPeaks(planned);
    ArenaUse offUse = new ArenaUse();
    ArenaUse onUse = new ArenaUse();
    Evaluator unplanned = new Evaluator(OpCatalog.standard(), Parallel.serial())
        .useArena(false).recordArenaUse(offUse);
    Evaluator inArena = new Evaluator(OpCatalog.standard(), Parallel.serial())
        .recordArenaUse(onUse);
    Evaluator.Session offSession = unplanned.session(planned);
    Evaluator.Session onSession = inArena.session(planned);
    Runnable off = () -> offSession.run(inputs);
    Runnable on = () -> onSession.run(inputs);
    long start = System.nanoTime();
    for (int i = 0; i < warmup || System.nanoTime() - start < TimedPair.MIN_WARMUP_NANOS; i++) {
      off.run();
      on.run();
    }
    double[][] offRuns = new double[2][reps];
    double[][] onRuns = new double[2][reps];
    for (int i = 0; i < reps; i++) {
      measureOnce(off, offRuns, i);
      measureOnce(on, onRuns, i);
    }
    double offHeap = BenchTable.median(offRuns[0]);
    double onHeap = BenchTable.median(onRuns[0]);
    double load = plan.lowerBoundBytes();
    table.row(name, mb(load), ratio(plan.arenaBytes(), load), plan.planner(), plan.inPlace(),
        mb(arrays), ratio(arrays, totalArena(plan)),
        mb(peaks.values().stream().mapToLong(Long::longValue).sum()), byClass(peaks),
        mb(offUse.peakLiveBytes()),
        mb(onUse.peakLiveBytes()), ratio(onUse.peakLiveBytes(), load), mb(offHeap), mb(onHeap),
        ratio(onHeap, offHeap), String.format("%.1f", BenchTable.median(offRuns[1])),
        String.format("%.1f", BenchTable.median(onRuns[1])));
  }

  /**
   * {@code byte[] 2.34 + float[] 4.59 + int[] 4.59}: each storage class's peak in MB, to three
   * significant digits (tiny graphs' classes hold a few kB).
   */
  private static String byClass(Map<String, Long> peaks) {
    StringBuilder sb = new StringBuilder();
    peaks.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : " + ").append(k).append(' ')
        .append(String.format("%.3g", v / (double) (1 << 20))));
    return sb.length() == 0 ? "-" : sb.toString();
  }

  /** Bytes of the arenas of {@code plan} and of its subgraphs' plans (each counted once). */
  private static long totalArena(MemoryPlan plan) {
    long total = plan.arenaBytes();
    for (MemoryPlan sub : plan.subgraphs().values()) {
      total += totalArena(sub);
    }
    return total;
  }

  /** Bytes allocated ({@code into[0][i]}) and milliseconds ({@code into[1][i]}) of one run. */
  private static void measureOnce(Runnable body, double[][] into, int i) {
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long id = Thread.currentThread().getId();
    long before = threads.getThreadAllocatedBytes(id);
    long t0 = System.nanoTime();
    body.run();
    into[1][i] = (System.nanoTime() - t0) / 1e6;
    into[0][i] = threads.getThreadAllocatedBytes(id) - before;
  }

  private static String mb(double bytes) {
    return String.format("%.2f", bytes / (1 << 20));
  }

  private static String ratio(double a, double b) {
    return b <= 0 ? "-" : String.format("%.3f", a / b);
  }
}
