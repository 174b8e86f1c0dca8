package dev.convoy.ir.ops.family;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.ops.Broadcast;
import dev.convoy.ir.ops.Kernels;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.runtime.ExpKernels;
import dev.convoy.ir.ops.runtime.Parallel;

/**
 * Float32 fast paths for the elementwise ops that dominate CNN inference (activations and
 * broadcast arithmetic). {@link Kernels#map} and {@link Kernels#zip} call one lambda per element
 * through a call site shared by every op, which the JIT cannot inline; here each op has its own
 * loop, and large tensors are split over the {@link Parallel} pool. Every op computes exactly
 * what its generic kernel computes (the same double-precision formula rounded to float, or the
 * float operation where that is provably the same value), so results are unchanged.
 */
final class FloatKernels {
  private FloatKernels() {}

  /** Elements per parallel chunk below which a loop runs serially. */
  private static final long WORK_PER_ELEMENT = 4;

  /** Unary ops with a float32 fast path; {@code p} and {@code q} are the op's parameters. */
  enum Unary {
    RELU, SIGMOID, TANH, EXP, CLIP, LEAKY_RELU, HARD_SIGMOID, HARD_SWISH
  }

  /** Binary ops with a float32 fast path. */
  enum Binary {
    ADD, SUB, MUL, DIV, MAX, MIN
  }

  static boolean applies(NdArray x) {
    return x.dtype() == DType.FLOAT;
  }

  /** {@code op} over a float32 tensor. */
  static NdArray unary(Unary op, NdArray x, double p, double q, Parallel par) {
    float[] a = x.floats();
    float[] o = new float[a.length];
    long work = op == Unary.SIGMOID || op == Unary.TANH || op == Unary.EXP ? 32 : WORK_PER_ELEMENT;
    forChunks(a.length, work, par, (from, to) -> unaryRange(op, a, o, from, to, p, q));
    return NdArray.wrap(DType.FLOAT, x.dims(), o);
  }

  private static void unaryRange(Unary op, float[] a, float[] o, int from, int to, double p,
      double q) {
    switch (op) {
      case RELU -> {
        // Math.max maps -0 to +0 and keeps NaN, as the generic x > 0 ? x : (x == x ? 0 : x).
        for (int i = from; i < to; i++) {
          o[i] = Math.max(a[i], 0f);
        }
      }
      case SIGMOID -> ExpKernels.sigmoid(a, o, from, to);
      case TANH -> {
        for (int i = from; i < to; i++) {
          o[i] = (float) Math.tanh(a[i]);
        }
      }
      case EXP -> {
        for (int i = from; i < to; i++) {
          o[i] = (float) Math.exp(a[i]);
        }
      }
      case CLIP -> {
        // Bounds of a float tensor's Clip are floats (or infinite). Math.max/min instead of
        // compare-and-select: branch-free (the selects mispredict on real activations, 40x
        // slower) with the same values, NaN kept; only a -0 input clipped at a +0 bound comes
        // out as +0 rather than -0.
        float lo = (float) p;
        float hi = (float) q;
        for (int i = from; i < to; i++) {
          o[i] = Math.min(Math.max(a[i], lo), hi);
        }
      }
      case LEAKY_RELU -> {
        for (int i = from; i < to; i++) {
          double v = a[i];
          o[i] = (float) (v >= 0 ? v : p * v);
        }
      }
      case HARD_SIGMOID -> {
        for (int i = from; i < to; i++) {
          o[i] = (float) Math.max(0, Math.min(1, p * a[i] + q));
        }
      }
      case HARD_SWISH -> {
        for (int i = from; i < to; i++) {
          double v = a[i];
          o[i] = (float) (v * Math.max(0, Math.min(1, v / 6 + 0.5)));
        }
      }
      default -> throw new IllegalStateException(op.name());
    }
  }

  /**
   * {@code op} over the broadcast of two float32 tensors. Float +, -, * and / round once, so
   * they equal the generic kernel's double operation rounded to float; max and min are exact.
   */
  static NdArray binary(Binary op, NdArray a, NdArray b, Parallel par) {
    long[] ad = a.dims();
    long[] bd = b.dims();
    long[] outDims = Broadcast.shape(ad, bd);
    float[] x = a.floats();
    float[] y = b.floats();
    int n = NdArray.checkedSize(outDims);
    float[] o = new float[n];
    if (x.length == n && y.length == n) {
      forChunks(n, WORK_PER_ELEMENT, par, (from, to) -> same(op, x, y, o, from, to));
    } else if (y.length == 1 || x.length == 1) {
      float s = y.length == 1 ? y[0] : x[0];
      float[] v = y.length == 1 ? x : y;
      boolean scalarRight = y.length == 1;
      forChunks(n, WORK_PER_ELEMENT, par,
          (from, to) -> scalar(op, v, s, scalarRight, o, from, to));
    } else {
      Broadcast.forEachRow(outDims, new long[][] {ad, bd},
          (p, off, st, len) -> row(op, x, off[0], st[0], y, off[1], st[1], o, p, len));
    }
    return NdArray.wrap(DType.FLOAT, outDims, o);
  }

  private static void same(Binary op, float[] x, float[] y, float[] o, int from, int to) {
    switch (op) {
      case ADD -> {
        for (int i = from; i < to; i++) {
          o[i] = x[i] + y[i];
        }
      }
      case SUB -> {
        for (int i = from; i < to; i++) {
          o[i] = x[i] - y[i];
        }
      }
      case MUL -> {
        for (int i = from; i < to; i++) {
          o[i] = x[i] * y[i];
        }
      }
      case DIV -> {
        for (int i = from; i < to; i++) {
          o[i] = x[i] / y[i];
        }
      }
      case MAX -> {
        for (int i = from; i < to; i++) {
          o[i] = Math.max(x[i], y[i]);
        }
      }
      case MIN -> {
        for (int i = from; i < to; i++) {
          o[i] = Math.min(x[i], y[i]);
        }
      }
    }
  }

  /** {@code v op s} (or {@code s op v} when the scalar is on the left). */
  private static void scalar(Binary op, float[] v, float s, boolean scalarRight, float[] o,
      int from, int to) {
    switch (op) {
      case ADD -> {
        for (int i = from; i < to; i++) {
          o[i] = v[i] + s;
        }
      }
      case MUL -> {
        for (int i = from; i < to; i++) {
          o[i] = v[i] * s;
        }
      }
      case SUB -> {
        if (scalarRight) {
          for (int i = from; i < to; i++) {
            o[i] = v[i] - s;
          }
        } else {
          for (int i = from; i < to; i++) {
            o[i] = s - v[i];
          }
        }
      }
      case DIV -> {
        if (scalarRight) {
          for (int i = from; i < to; i++) {
            o[i] = v[i] / s;
          }
        } else {
          for (int i = from; i < to; i++) {
            o[i] = s / v[i];
          }
        }
      }
      // Max and Min commute, signed zeros and NaN included.
      case MAX -> {
        for (int i = from; i < to; i++) {
          o[i] = Math.max(v[i], s);
        }
      }
      case MIN -> {
        for (int i = from; i < to; i++) {
          o[i] = Math.min(v[i], s);
        }
      }
    }
  }

  /** One broadcast row: operand elements at {@code ia + j*sa} and {@code ib + j*sb}. */
  private static void row(Binary op, float[] x, int ia, int sa, float[] y, int ib, int sb,
      float[] o, int p, int len) {
    if (sa == 1 && sb == 0) {
      float s = y[ib];
      switch (op) {
        case ADD -> {
          for (int j = 0; j < len; j++) {
            o[p + j] = x[ia + j] + s;
          }
        }
        case SUB -> {
          for (int j = 0; j < len; j++) {
            o[p + j] = x[ia + j] - s;
          }
        }
        case MUL -> {
          for (int j = 0; j < len; j++) {
            o[p + j] = x[ia + j] * s;
          }
        }
        case DIV -> {
          for (int j = 0; j < len; j++) {
            o[p + j] = x[ia + j] / s;
          }
        }
        case MAX -> {
          for (int j = 0; j < len; j++) {
            o[p + j] = Math.max(x[ia + j], s);
          }
        }
        case MIN -> {
          for (int j = 0; j < len; j++) {
            o[p + j] = Math.min(x[ia + j], s);
          }
        }
      }
      return;
    }
    for (int j = 0; j < len; j++, ia += sa, ib += sb) {
      float u = x[ia];
      float v = y[ib];
      o[p + j] = switch (op) {
        case ADD -> u + v;
        case SUB -> u - v;
        case MUL -> u * v;
        case DIV -> u / v;
        case MAX -> Math.max(u, v);
        case MIN -> Math.min(u, v);
      };
    }
  }

  private static void forChunks(int n, long workPerElement, Parallel par,
      Parallel.RangeBody body) {
    // Chunks of at least 4096 elements keep the per-task overhead small.
    int chunk = 4096;
    int chunks = (n + chunk - 1) / chunk;
    par.forRange(chunks, chunk * workPerElement,
        (from, to) -> body.run(from * chunk, Math.min(n, to * chunk)));
  }
}
