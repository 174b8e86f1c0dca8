package dev.convoy.ir.ops.runtime;

/**
 * Float32 activations built on the exponential, the costliest element-wise kernels of CNNs with
 * SiLU (YOLO-style models spend more time in Sigmoid than in Conv): each value is computed in
 * double and rounded once, on the Vector API where the JVM has it ({@link VectorExp}) and in
 * scalar loops otherwise. Input and output may be the same range (in place).
 */
public final class ExpKernels {
  private ExpKernels() {}

  /** {@code o[io + i] = (float) (1 / (1 + exp(-a[ia + i])))} for i in {@code [0, n)}. */
  public static void sigmoid(float[] a, int ia, float[] o, int io, int n) {
    int i = 0;
    if (Blas.vectorized()) {
      i = n / VectorExp.LANES * VectorExp.LANES;
      VectorExp.sigmoid(a, ia, o, io, i);
    }
    for (; i < n; i++) {
      o[io + i] = (float) (1 / (1 + Math.exp(-(double) a[ia + i])));
    }
  }

  /**
   * {@code o[io + i] = (float) (x * (float) sigmoid(x))} with {@code x = a[ia + i]}: SiLU as the
   * two unfused ops compute it, the sigmoid rounded to float before the product.
   */
  public static void swish(float[] a, int ia, float[] o, int io, int n) {
    int i = 0;
    if (Blas.vectorized()) {
      i = n / VectorExp.LANES * VectorExp.LANES;
      VectorExp.swish(a, ia, o, io, i);
    }
    for (; i < n; i++) {
      double v = a[ia + i];
      o[io + i] = (float) (v * (double) (float) (1 / (1 + Math.exp(-v))));
    }
  }
}
