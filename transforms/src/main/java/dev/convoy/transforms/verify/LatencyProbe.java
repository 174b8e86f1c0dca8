package dev.convoy.transforms.verify;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.runtime.Blas;
import dev.convoy.ir.ops.runtime.Parallel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Inference latency of one model on fixed inputs, the way a deployer would see it: {@code warmup}
 * untimed runs, then the median wall time of {@code runs} timed ones, in milliseconds. ONNX
 * Runtime runs with one intra-op thread, sequential execution and its graph optimizations off (so
 * the figure shows what Convoy's optimization changed, not what ORT would redo at load); Convoy's
 * evaluator runs serially. Session creation is not timed.
 */
public final class LatencyProbe {
  private final int warmup;
  private final int runs;

  /** {@code runs} timed runs (at least 1) after {@code warmup} untimed ones. */
  public LatencyProbe(int warmup, int runs) {
    if (warmup < 0 || runs < 1) {
      throw new IllegalArgumentException("warmup >= 0 and runs >= 1, got " + warmup + ", " + runs);
    }
    this.warmup = warmup;
    this.runs = runs;
  }

  public int runs() {
    return runs;
  }

  /** The median latency of the ONNX model {@code model} (bytes) in ONNX Runtime. */
  public double ort(byte[] model, Map<String, Tensor> inputs) {
    return ort(o -> OrtVerifier.environment().createSession(model, o), inputs);
  }

  /** The median latency of the ONNX model in {@code file} (which may use external data). */
  public double ort(Path file, Map<String, Tensor> inputs) {
    return ort(o -> OrtVerifier.environment().createSession(file.toString(), o), inputs);
  }

  @FunctionalInterface
  private interface Sessions {
    OrtSession open(OrtSession.SessionOptions options) throws OrtException;
  }

  private double ort(Sessions sessions, Map<String, Tensor> inputs) {
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
      options.setIntraOpNumThreads(1);
      options.setInterOpNumThreads(1);
      options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      try (OrtSession s = sessions.open(options)) {
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        try {
          for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
            feeds.put(e.getKey(), OrtVerifier.toOrt(e.getKey(), e.getValue()));
          }
          return median(() -> {
            try (OrtSession.Result r = s.run(feeds)) {
              return r.size();
            }
          });
        } finally {
          feeds.values().forEach(OnnxTensor::close);
        }
      }
    } catch (OrtException e) {
      throw new ConvoyException("ONNX Runtime failed while timing: " + e.getMessage(), e);
    }
  }

  /**
   * The name under which {@link #evaluator} timings are recorded: {@code convoy} when this JVM runs
   * the evaluator's Vector API kernels, {@code convoy-scalar} when it has only the scalar loops (no
   * {@code --add-modules jdk.incubator.vector}), so that figures from the two are never compared as
   * one runtime's.
   */
  public static String evaluatorRuntime() {
    return Blas.vectorized() ? "convoy" : "convoy-scalar";
  }

  /** The median latency of {@code graph} in Convoy's evaluator, on one thread. */
  public double evaluator(Graph graph, Map<String, Tensor> inputs) {
    Evaluator evaluator = new Evaluator(OpCatalog.standard(), Parallel.serial());
    try {
      return median(() -> evaluator.runTensors(graph, inputs).size());
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    }
  }

  @FunctionalInterface
  private interface Run {
    int once() throws OrtException;
  }

  private double median(Run run) throws OrtException {
    for (int i = 0; i < warmup; i++) {
      run.once();
    }
    double[] ms = new double[runs];
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      run.once();
      ms[i] = (System.nanoTime() - t0) / 1e6;
    }
    Arrays.sort(ms);
    return runs % 2 == 1 ? ms[runs / 2] : (ms[runs / 2 - 1] + ms[runs / 2]) / 2;
  }
}
