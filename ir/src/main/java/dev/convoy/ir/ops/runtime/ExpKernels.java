package dev.convoy.ir.ops.runtime;

/**
 * Float32 activations built on the exponential, the costliest element-wise kernels of CNNs with
 * SiLU (YOLO-style models spend more time in Sigmoid than in Conv): each value is computed in
 * double and rounded once, on the Vector API where the JVM has it ({@link VectorExp}) and in
 * scalar loops otherwise. {@code o} may be {@code a} (in place).
 */
public final class ExpKernels {
  private ExpKernels() {}

  /** {@code o[i] = (float) (1 / (1 + exp(-a[i])))} for i in {@code [from, to)}. */
  public static void sigmoid(float[] a, float[] o, int from, int to) {
    int i = from;
    if (Blas.vectorized()) {
      int end = from + (to - from) / VectorExp.LANES * VectorExp.LANES;
      VectorExp.sigmoid(a, o, from, end);
      i = end;
    }
    for (; i < to; i++) {
      o[i] = (float) (1 / (1 + Math.exp(-(double) a[i])));
    }
  }

  /**
   * {@code o[i] = (float) (x * (float) sigmoid(x))} with {@code x = a[i]}: SiLU as the two
   * unfused ops compute it, the sigmoid rounded to float before the product.
   */
  public static void swish(float[] a, float[] o, int from, int to) {
    int i = from;
    if (Blas.vectorized()) {
      int end = from + (to - from) / VectorExp.LANES * VectorExp.LANES;
      VectorExp.swish(a, o, from, end);
      i = end;
    }
    for (; i < to; i++) {
      double v = a[i];
      o[i] = (float) (v * (double) (float) (1 / (1 + Math.exp(-v))));
    }
  }
}
