package dev.convoy.runners.bench;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.format.CvyReader;
import dev.convoy.ir.format.CvyWriter;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.ops.OpCatalog;
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
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the {@code cvy} target's fused ops buy the evaluator: per model, one thread, the
 * evaluator's latency on the O1 {@code .cvy} and on the O2 {@code .cvy} (its {@code convoy} fused
 * ops included; both written and read back as files), their ratio, and ONNX Runtime's latency on
 * the original with all its graph optimizations on, measured in the same run on the same seeded
 * inputs, and the thread's CPU time of the same evaluator runs (a loaded machine stretches wall
 * times many-fold, CPU times far less). The note gives the median and largest O2/O1 ratio over the
 * models of 50 nodes or more, by wall and by CPU time.
 */
public final class FusedTargetBenchmark {
  private FusedTargetBenchmark() {}

  /** Models with at least this many nodes count in the O2/O1 median. */
  static final int MEDIAN_MIN_NODES = 50;

  public static BenchTable run(List<Path> models, int warmup, int reps)
      throws OrtException, IOException {
    BenchTable table = new BenchTable(
        "Evaluator on the O2 .cvy (convoy fused ops) vs O1, and vs ONNX Runtime (all optimizations)",
        "model", "nodes O1", "nodes O2 cvy", "O1 ms", "O2 cvy ms", "O2 / O1", "ort all-opt ms",
        "O2 cvy / ort", "O1 cpu ms", "O2 cpu ms", "O2 / O1 cpu");
    Evaluator ev = new Evaluator(OpCatalog.standard(), Parallel.of(1));
    Path tmp = Files.createTempDirectory("convoy-bench-cvy");
    List<Double> ratios = new ArrayList<>();
    List<Double> cpuRatios = new ArrayList<>();
    double worst = 0;
    String worstModel = "";
    try {
      for (Path model : models) {
        Graph g = Models.load(model);
        Map<String, Tensor> inputs =
            SeededInputs.generate(g, ModelVerification.shapes(model, Map.of()));
        Graph o1 = stored(Optimizer.optimize(g, options(Level.O1)).graph(), tmp.resolve("o1.cvy"));
        Graph o2 = stored(Optimizer.optimize(g, options(Level.O2)).graph(), tmp.resolve("o2.cvy"));
        double[] t = interleaved(warmup, reps, () -> ev.runTensors(o1, inputs),
            () -> ev.runTensors(o2, inputs));
        double t1 = t[0];
        double t2 = t[1];
        double ort = EvalBenchmark.ortLatency(model, inputs, 1, warmup, reps,
            OrtSession.SessionOptions.OptLevel.ALL_OPT);
        double ratio = t2 / t1;
        if (o1.totalNodeCount() >= MEDIAN_MIN_NODES) {
          ratios.add(ratio);
          cpuRatios.add(t[3] / t[2]);
          if (ratio > worst) {
            worst = ratio;
            worstModel = model.getFileName().toString();
          }
        }
        table.row(model.getFileName().toString(), o1.totalNodeCount(), o2.totalNodeCount(), t1, t2,
            ratio, ort, t2 / ort, t[2], t[3], t[3] / t[2]);
      }
    } finally {
      deleteFlat(tmp);
    }
    double median = median(ratios);
    return table.note(String.format("One thread; median of %d runs after %d warm-up runs (and at"
        + " least 1 s of them), O1 and O2 alternating. Over"
        + " the %d models of %d+ nodes (O1): median O2/O1 %.3f, largest %.3f (%s); by CPU time"
        + " median %.3f, largest %.3f. CPU columns: this thread's CPU time in the same runs.",
        reps, warmup, ratios.size(), MEDIAN_MIN_NODES, median, worst, worstModel,
        median(cpuRatios), cpuRatios.stream().mapToDouble(Double::doubleValue).max().orElse(
            Double.NaN)));
  }

  /**
   * Warm-up lasts at least this long as well as the asked number of runs: a sub-millisecond model
   * is otherwise timed while its kernels are still being compiled (small_cnn_qdq measured 0.13x
   * and 7.3x O2/O1 in two runs of three warm-ups each).
   */
  static final long MIN_WARMUP_NANOS = 1_000_000_000L;

  /**
   * Median milliseconds of {@code a} and of {@code b}, run alternately (which goes first swaps
   * every repetition), so that a change in the machine's load during the run hits both alike,
   * then the medians of the calling thread's CPU time in the same runs (which a loaded machine
   * disturbs far less than wall time): {@code {wall a, wall b, cpu a, cpu b}}. Both are first
   * run {@code warmup} times and for at least {@link #MIN_WARMUP_NANOS}.
   */
  static double[] interleaved(int warmup, int reps, Runnable a, Runnable b) {
    long start = System.nanoTime();
    for (int i = 0; i < warmup || System.nanoTime() - start < MIN_WARMUP_NANOS; i++) {
      a.run();
      b.run();
    }
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    double[][] wall = new double[2][reps];
    double[][] cpu = new double[2][reps];
    for (int i = 0; i < reps; i++) {
      for (int k = 0; k < 2; k++) {
        int side = (i + k) % 2;
        long c0 = mx.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        (side == 0 ? a : b).run();
        wall[side][i] = (System.nanoTime() - t0) / 1e6;
        cpu[side][i] = (mx.getCurrentThreadCpuTime() - c0) / 1e6;
      }
    }
    return new double[] {BenchTable.median(wall[0]), BenchTable.median(wall[1]),
        BenchTable.median(cpu[0]), BenchTable.median(cpu[1])};
  }

  /** Deletes {@code dir} and the files in it. */
  static void deleteFlat(Path dir) throws IOException {
    try (var files = Files.list(dir)) {
      for (Path p : files.toList()) {
        Files.delete(p);
      }
    }
    Files.delete(dir);
  }

  /** The median of {@code ratios}, NaN when there are none. */
  static double median(List<Double> ratios) {
    return ratios.isEmpty() ? Double.NaN
        : BenchTable.median(ratios.stream().mapToDouble(Double::doubleValue).toArray());
  }

  private static OptimizeOptions options(Level level) {
    return OptimizeOptions.atLevel(level).withTarget(Target.CVY);
  }

  /** {@code g} written as a .cvy file and read back, as a user would run it. */
  static Graph stored(Graph g, Path file) {
    CvyWriter.write(g, file);
    return CvyReader.read(file);
  }
}
