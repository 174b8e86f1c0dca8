package dev.convoy.runners.bench;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.format.CvyReader;
import dev.convoy.ir.format.CvyWriter;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.memory.MemoryPlan;
import dev.convoy.ir.memory.MemoryPlanCodec;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.runtime.Parallel;
import dev.convoy.transforms.convert.Models;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.Optimizer;
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
 * Memory of an evaluation of a planned {@code .cvy}: each model optimized at O3 with its input
 * shapes made static (the oracle arguments' shapes), written as {@code .cvy} and read back, then
 * run on one thread with the plan's arena and, in the same process, without it. Beside LOAD (the
 * plan's lower bound) and the plan's arena it gives the bytes of the arena arrays the evaluator
 * allocates (one array per storage class) and the heap each run allocates besides them
 * (HotSpot's per-thread allocated-bytes counter, median of the timed runs).
 */
public final class MemoryBenchmark {
  private MemoryBenchmark() {}

  public static BenchTable run(List<Path> models, int warmup, int reps) throws IOException {
    BenchTable table = new BenchTable("Memory of a planned .cvy evaluation (O3, one thread)",
        "model", "LOAD MB", "plan arena / LOAD", "planner", "in-place", "arena arrays MB",
        "arrays / LOAD", "heap/run unplanned MB", "heap/run in arena MB",
        "(arrays + heap) / unplanned heap", "ms unplanned", "ms in arena");
    Path dir = Files.createTempDirectory("convoy-bench-memory");
    try {
      for (Path model : models) {
        String name = model.getFileName().toString();
        try {
          measure(model, name, dir, warmup, reps, table);
        } catch (ConvoyException e) {
          table.row(name, "-", "not measured: " + e.getMessage().replace('|', '/'), "-", "-", "-",
              "-", "-", "-", "-", "-", "-");
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
    return table.note("LOAD = most planned bytes alive at one step (the plan's lower bound)."
        + " Arena arrays: one per storage class, spanning the planned bytes of its values,"
        + " allocated by the first run and kept by the evaluator for the next. Heap/run: bytes"
        + " allocated by one run on the calling thread (kernel outputs, the copies readers get"
        + " of planned values, inputs and outputs); ms: wall time of one run. Medians of " + reps + " runs after "
        + warmup + " warm-up runs.");
  }

  private static void measure(Path model, String name, Path dir, int warmup, int reps,
      BenchTable table) {
    Map<String, long[]> shapes = ModelVerification.shapes(model, Map.of());
    Graph o3 = Optimizer.optimize(Models.load(model), new OptimizeOptions(Level.O3,
        Set.of(), Set.of(), null, shapes, false, OptimizeOptions.DEFAULT_FOLD_CAP)).graph();
    Path cvy = dir.resolve(name + ".cvy");
    CvyWriter.write(o3, cvy);
    Graph planned = CvyReader.read(cvy);
    MemoryPlan plan = MemoryPlanCodec.stored(planned).orElse(null);
    if (plan == null) {
      table.row(name, "-", "no plan", "-", "-", "-", "-", "-", "-", "-", "-", "-");
      return;
    }
    Map<String, Tensor> inputs = SeededInputs.generate(planned, shapes);
    long arrays = Evaluator.arenaBytes(planned);
    Evaluator unplanned = new Evaluator(OpCatalog.standard(), Parallel.serial())
        .useArena(false);
    Evaluator inArena = new Evaluator(OpCatalog.standard(), Parallel.serial());
    double[] off = perRun(warmup, reps, () -> unplanned.runTensors(planned, inputs));
    double[] on = perRun(warmup, reps, () -> inArena.runTensors(planned, inputs));
    double load = plan.lowerBoundBytes();
    table.row(name, mb(load), ratio(plan.arenaBytes(), load), plan.planner(), plan.inPlace(),
        mb(arrays), ratio(arrays, load), mb(off[0]), mb(on[0]),
        ratio(arrays + on[0], off[0]), String.format("%.1f", off[1]),
        String.format("%.1f", on[1]));
  }

  /** Median bytes allocated and milliseconds of one run of {@code body}. */
  private static double[] perRun(int warmup, int reps, Runnable body) {
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long id = Thread.currentThread().getId();
    for (int i = 0; i < warmup; i++) {
      body.run();
    }
    double[] bytes = new double[reps];
    double[] ms = new double[reps];
    for (int i = 0; i < reps; i++) {
      long before = threads.getThreadAllocatedBytes(id);
      long t0 = System.nanoTime();
      body.run();
      ms[i] = (System.nanoTime() - t0) / 1e6;
      bytes[i] = threads.getThreadAllocatedBytes(id) - before;
    }
    return new double[] {BenchTable.median(bytes), BenchTable.median(ms)};
  }

  private static String mb(double bytes) {
    return String.format("%.2f", bytes / (1 << 20));
  }

  private static String ratio(double a, double b) {
    return b <= 0 ? "-" : String.format("%.3f", a / b);
  }
}
