package dev.convoy.pipeline.element;

/**
 * Inference latency of a model's original and of its result, measured on the same seeded inputs:
 * a {@code latencies} row. {@code runtime} is {@code ort} (ONNX target: ONNX Runtime, one intra-op
 * thread, its optimizations off) or {@code convoy} (.cvy target: Convoy's evaluator, one thread;
 * {@code convoy-scalar} when that JVM had no Vector API kernels);
 * the figures are medians of {@code runs} timed runs after {@code warmup} untimed ones.
 */
public record Latency(String runtime, int warmup, int runs, double originalMs, double resultMs) {
  /** Original over result: above 1 when the result is faster. */
  public double speedup() {
    return resultMs > 0 ? originalMs / resultMs : Double.NaN;
  }
}
