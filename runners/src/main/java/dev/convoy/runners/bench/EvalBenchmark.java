package dev.convoy.runners.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.runtime.Parallel;
import dev.convoy.transforms.convert.Models;
import dev.convoy.transforms.verify.ModelVerification;
import dev.convoy.transforms.verify.OrtVerifier;
import dev.convoy.transforms.verify.SeededInputs;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.IntConsumer;

/**
 * Evaluator latency against ONNX Runtime with every graph optimization off, at 1 and 2 threads,
 * per model, in one run: same seeded inputs, warm-up runs first, median of the timed runs.
 */
public final class EvalBenchmark {
  private EvalBenchmark() {}

  public static BenchTable run(List<Path> models, int warmup, int reps) throws OrtException {
    BenchTable table = new BenchTable("Evaluator latency vs ONNX Runtime (optimizations off)",
        "model", "nodes", "convoy 1t ms", "ort 1t ms", "ratio 1t", "convoy 2t ms", "ort 2t ms",
        "ratio 2t");
    for (Path model : models) {
      Graph g = Models.load(model);
      Map<String, Tensor> inputs =
          SeededInputs.generate(g, ModelVerification.shapes(model, Map.of()));
      double[] convoy = new double[3];
      double[] ort = new double[3];
      for (int threads : new int[] {1, 2}) {
        Evaluator ev = new Evaluator(OpCatalog.standard(), Parallel.of(threads));
        convoy[threads] = time(warmup, reps, i -> ev.runTensors(g, inputs));
        ort[threads] = ortLatency(model, inputs, threads, warmup, reps,
            OrtSession.SessionOptions.OptLevel.NO_OPT);
      }
      table.row(model.getFileName().toString(), g.totalNodeCount(), convoy[1], ort[1],
          convoy[1] / ort[1], convoy[2], ort[2], convoy[2] / ort[2]);
    }
    return table.note("Median of " + reps + " runs after " + warmup
        + " warm-up runs; ratio = Convoy / ONNX Runtime (lower is better).");
  }

  /** ONNX Runtime's median latency on {@code model} at {@code threads} and graph level {@code opt}. */
  static double ortLatency(Path model, Map<String, Tensor> inputs, int threads, int warmup,
      int reps, OrtSession.SessionOptions.OptLevel opt) throws OrtException {
    return withOrt(model, inputs, threads, opt, run -> time(warmup, reps, i -> run.run()));
  }

  /**
   * {@code body} given one ONNX Runtime run of {@code model} on {@code inputs} (a session at
   * {@code opt} with {@code threads} intra-op threads, open while {@code body} runs).
   */
  static <T> T withOrt(Path model, Map<String, Tensor> inputs, int threads,
      OrtSession.SessionOptions.OptLevel opt, Function<Runnable, T> body) throws OrtException {
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
      o.setOptimizationLevel(opt);
      o.setIntraOpNumThreads(threads);
      o.setInterOpNumThreads(1);
      try (OrtSession s = OrtVerifier.environment().createSession(model.toString(), o)) {
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        for (var e : inputs.entrySet()) {
          feeds.put(e.getKey(), OrtVerifier.toOrt(e.getKey(), e.getValue()));
        }
        try {
          return body.apply(() -> {
            try (OrtSession.Result r = s.run(feeds)) {
              r.size();
            } catch (OrtException e) {
              throw new IllegalStateException(e);
            }
          });
        } finally {
          feeds.values().forEach(OnnxTensor::close);
        }
      }
    }
  }

  static double time(int warmup, int reps, IntConsumer body) {
    for (int i = 0; i < warmup; i++) {
      body.accept(i);
    }
    double[] ms = new double[reps];
    for (int i = 0; i < reps; i++) {
      long t0 = System.nanoTime();
      body.accept(i);
      ms[i] = (System.nanoTime() - t0) / 1e6;
    }
    return BenchTable.median(ms);
  }
}
