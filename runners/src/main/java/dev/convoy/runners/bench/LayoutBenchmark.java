package dev.convoy.runners.bench;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.runtime.Parallel;
import dev.convoy.transforms.convert.Models;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.Optimizer;
import dev.convoy.transforms.optimize.Target;
import dev.convoy.transforms.optimize.layout.ConvertToNhwc;
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
import java.util.Set;

/**
 * What the O3 layout conversion buys the evaluator: per model whose O3 {@code .cvy} holds
 * channels-last ops, one thread, the evaluator's latency on the O2 (NCHW) {@code .cvy} and on the
 * O3 (NHWC) {@code .cvy} (both written and read back as files, run alternately), their ratio, and
 * ONNX Runtime's latency on the original with all its graph optimizations on, in the same run on
 * the same seeded inputs. "O3 NCHW / O3" isolates the layout from the rest of O3 (its memory
 * plan): the O3 {@code .cvy} without {@code convert-to-nhwc} against the O3 one, also alternating. The note gives the median O3/O2 ratio and the largest O3/ORT ratio. The CPU
 * columns time the O3 {@code .cvy} and ONNX Runtime (all optimizations, one thread) in this
 * thread's CPU time, which a loaded machine disturbs far less than wall time.
 */
public final class LayoutBenchmark {
  private LayoutBenchmark() {}

  public static BenchTable run(List<Path> models, int warmup, int reps)
      throws OrtException, IOException {
    BenchTable table = new BenchTable(
        "Evaluator on the O3 NHWC .cvy vs the O2 NCHW .cvy, and vs ONNX Runtime (all optimizations)",
        "model", "nodes O2", "nodes O3", "Transposes O3", "O2 cvy ms", "O3 cvy ms", "O3 / O2",
        "O3 NCHW / O3", "ort all-opt ms", "O3 / ort", "O3 cpu ms", "ort cpu ms",
        "O3 / ort cpu", "O2 MB/run", "O3 MB/run", "GC n (ms)");
    Evaluator ev = new Evaluator(OpCatalog.standard(), Parallel.of(1));
    Path tmp = Files.createTempDirectory("convoy-bench-layout");
    List<Double> ratios = new ArrayList<>();
    double worst = 0;
    String worstModel = "";
    try {
      for (Path model : models) {
        Graph g = Models.load(model);
        Graph o3 = FusedTargetBenchmark.stored(Optimizer.optimize(g, options(Level.O3)).graph(), tmp.resolve("o3.cvy"));
        if (!channelsLast(o3)) {
          continue;
        }
        Graph o2 = FusedTargetBenchmark.stored(Optimizer.optimize(g, options(Level.O2)).graph(), tmp.resolve("o2.cvy"));
        Graph o3nchw = FusedTargetBenchmark.stored(Optimizer.optimize(g, new OptimizeOptions(Level.O3, Set.of(),
            Set.of(ConvertToNhwc.NAME), null, Map.of(), false, OptimizeOptions.DEFAULT_FOLD_CAP,
            Target.CVY)).graph(), tmp.resolve("o3nchw.cvy"));
        Map<String, Tensor> inputs =
            SeededInputs.generate(g, ModelVerification.shapes(model, Map.of()));
        var in = FusedTargetBenchmark.arrays(inputs);
        Evaluator.Session s2 = ev.session(o2);
        Evaluator.Session s3 = ev.session(o3);
        Evaluator.Session s3nchw = ev.session(o3nchw);
        TimedPair pair = TimedPair.of(warmup, reps, () -> s2.run(in), () -> s3.run(in));
        double[] t = {pair.msA(), pair.msB()};
        double[] t3 = FusedTargetBenchmark.interleaved(warmup, reps, () -> s3nchw.run(in),
            () -> s3.run(in));
        double ort = EvalBenchmark.ortLatency(model, inputs, 1, warmup, reps,
            OrtSession.SessionOptions.OptLevel.ALL_OPT);
        double[] cpu = cpuAgainstOrt(model, inputs, () -> s3.run(in), warmup, reps);
        double ratio = t[1] / t[0];
        ratios.add(ratio);
        if (t[1] / ort > worst) {
          worst = t[1] / ort;
          worstModel = model.getFileName().toString();
        }
        table.row(model.getFileName().toString(), o2.totalNodeCount(), o3.totalNodeCount(),
            count(o3, "Transpose"), t[0], t[1], ratio, t3[0] / t3[1], ort, t[1] / ort, cpu[0],
            cpu[1], cpu[0] / cpu[1], pair.mbA(), pair.mbB(), pair.gc());
      }
    } finally {
      FusedTargetBenchmark.deleteFlat(tmp);
    }
    double median = FusedTargetBenchmark.median(ratios);
    return table.note(String.format("One thread; median of %d runs after %d warm-up runs (and"
        + " at least 1 s of them), O2 and O3 alternating (and O3 without convert-to-nhwc against O3),"
        + " each .cvy run by an evaluator session on inputs converted once; MB/run: heap one run"
        + " allocates (median; outputs and values the plan leaves out included), GC: collections"
        + " during the timed O2 and O3 runs and their ms; models whose O3 .cvy has"
        + " channels-last ops. CPU columns: this thread's CPU time (ONNX Runtime with one"
        + " intra-op thread runs on it), median of the same runs, O3 and ONNX Runtime"
        + " alternating: on a loaded machine they stay near the idle wall times where wall"
        + " times do not. Over %d models: median O3/O2 %.3f; largest O3/ort %.2f (%s).",
        reps, warmup, ratios.size(), median, worst, worstModel));
  }

  /**
   * Median CPU milliseconds of the calling thread for {@code o3} and for ONNX Runtime (all
   * optimizations, one thread) on the original, run alternately after the same warm-up.
   */
  private static double[] cpuAgainstOrt(Path model, Map<String, Tensor> inputs, Runnable o3,
      int warmup, int reps) throws OrtException {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    return EvalBenchmark.withOrt(model, inputs, 1, OrtSession.SessionOptions.OptLevel.ALL_OPT,
        ort -> {
          long start = System.nanoTime();
          for (int i = 0; i < warmup || System.nanoTime() - start < 1_000_000_000L; i++) {
            o3.run();
            ort.run();
          }
          double[][] ms = new double[2][reps];
          for (int i = 0; i < reps; i++) {
            for (int k = 0; k < 2; k++) {
              int side = (i + k) % 2;
              long t0 = mx.getCurrentThreadCpuTime();
              (side == 0 ? o3 : ort).run();
              ms[side][i] = (mx.getCurrentThreadCpuTime() - t0) / 1e6;
            }
          }
          return new double[] {BenchTable.median(ms[0]), BenchTable.median(ms[1])};
        });
  }

  private static boolean channelsLast(Graph g) {
    boolean[] found = {false};
    g.forEachNode(n -> found[0] |= n.domain().equals(OpCatalog.CONVOY_DOMAIN)
        && n.opType().startsWith("Nhwc"));
    return found[0];
  }

  private static int count(Graph g, String op) {
    int[] n = {0};
    g.forEachNode(node -> n[0] += node.domain().isEmpty() && node.opType().equals(op) ? 1 : 0);
    return n[0];
  }

  private static OptimizeOptions options(Level level) {
    return OptimizeOptions.atLevel(level).withTarget(Target.CVY);
  }
}
