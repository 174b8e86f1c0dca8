package dev.convoy.runners.bench;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.format.CvyReader;
import dev.convoy.ir.format.CvyWriter;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.ops.NdArray;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the {@code cvy} target's fused ops buy the evaluator: per model, one thread, the
 * evaluator's latency on the O1 {@code .cvy} and on the O2 {@code .cvy} (its {@code convoy} fused
 * ops included; both written and read back as files), their ratio, and ONNX Runtime's latency on
 * the original with all its graph optimizations on, measured in the same run on the same seeded
 * inputs (beside it the O2 {@code .cvy} timed on its own as ONNX Runtime is, not between O1
 * runs), and the thread's CPU time of the same evaluator runs (a loaded machine stretches wall
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
        "O2 cvy / ort", "O2 alone ms", "O2 alone / ort", "O1 cpu ms", "O2 cpu ms", "O2 / O1 cpu", "O1 MB/run", "O2 cvy MB/run",
        "GC n (ms)");
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
        var in = arrays(inputs);
        Evaluator.Session s1 = ev.session(o1);
        Evaluator.Session s2 = ev.session(o2);
        TimedPair t = TimedPair.of(warmup, reps, () -> s1.run(in), () -> s2.run(in));
        double t1 = t.msA();
        double t2 = t.msB();
        // The O2 .cvy on its own, as ONNX Runtime is timed below: the paired runs above put O1's
        // kernels (and garbage) between every two O2 runs, which ONNX Runtime's runs never have.
        double alone = EvalBenchmark.time(warmup, reps, i -> s2.run(in));
        double ort = EvalBenchmark.ortLatency(model, inputs, 1, warmup, reps,
            OrtSession.SessionOptions.OptLevel.ALL_OPT);
        double ratio = t2 / t1;
        if (o1.totalNodeCount() >= MEDIAN_MIN_NODES) {
          ratios.add(ratio);
          cpuRatios.add(t.cpuB() / t.cpuA());
          if (ratio > worst) {
            worst = ratio;
            worstModel = model.getFileName().toString();
          }
        }
        table.row(model.getFileName().toString(), o1.totalNodeCount(), o2.totalNodeCount(), t1, t2,
            ratio, ort, t2 / ort, alone, alone / ort, t.cpuA(), t.cpuB(), t.cpuB() / t.cpuA(), t.mbA(), t.mbB(),
            t.gc());
      }
    } finally {
      deleteFlat(tmp);
    }
    double median = median(ratios);
    return table.note(String.format("One thread; median of %d runs after %d warm-up runs (and at"
        + " least 1 s of them), O1 and O2 alternating, each .cvy run by an evaluator session on"
        + " inputs converted once; O2 alone: the O2 .cvy timed on its own right after, %d more"
        + " warm-up runs then %d, as ONNX Runtime is timed (the same setting for the two). Over"
        + " the %d models of %d+ nodes (O1): median O2/O1 %.3f, largest %.3f (%s); by CPU time"
        + " median %.3f, largest %.3f. CPU columns: this thread's CPU time in the same runs."
        + " MB/run: heap one run allocates (median; outputs and the intermediates a .cvy without a"
        + " memory plan holds included); GC: collections during the timed runs of both and their"
        + " ms.",
        reps, warmup, warmup, reps, ratios.size(), MEDIAN_MIN_NODES, median, worst, worstModel,
        median(cpuRatios), cpuRatios.stream().mapToDouble(Double::doubleValue).max().orElse(
            Double.NaN)));
  }

  /**
   * Median milliseconds of {@code a} and of {@code b}, run alternately after the same warm-up
   * ({@link TimedPair}), then the medians of the calling thread's CPU time in the same runs
   * (which a loaded machine disturbs far less than wall time): {@code {wall a, wall b, cpu a,
   * cpu b}}.
   */
  static double[] interleaved(int warmup, int reps, Runnable a, Runnable b) {
    TimedPair t = TimedPair.of(warmup, reps, a, b);
    return new double[] {t.msA(), t.msB(), t.cpuA(), t.cpuB()};
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

  /** {@code tensors} as the evaluator's arrays, converted once for all the timed runs. */
  static Map<String, RuntimeValue> arrays(Map<String, Tensor> tensors) {
    Map<String, RuntimeValue> out = new LinkedHashMap<>();
    tensors.forEach((k, v) -> out.put(k, NdArray.fromTensor(v)));
    return out;
  }

  /** {@code g} written as a .cvy file and read back, as a user would run it. */
  static Graph stored(Graph g, Path file) {
    CvyWriter.write(g, file);
    return CvyReader.read(file);
  }
}
