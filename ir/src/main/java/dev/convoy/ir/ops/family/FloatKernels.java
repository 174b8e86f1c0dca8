package dev.convoy.ir.ops.family;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.ops.Broadcast;
import dev.convoy.ir.ops.KernelContext;
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
 * float operation where that is provably the same value), so results are unchanged. Operands
 * are read where they lie (views included) and the result is written into the output buffer the
 * kernel context gives, which in a planned run is the output's place in the arena.
 */
final class FloatKernels {
  private FloatKernels() {}

  /** Elements per parallel chunk below which a loop runs serially. */
  private static final long WORK_PER_ELEMENT = 4;
  /** The bits of -0.0f, which are also the float sign bit. */
  private static final int NEGATIVE_ZERO = 0x80000000;

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

  /**
   * ONNX Clip as ONNX Runtime computes it, {@code min(max(x, lo), hi)} with {@code x} kept where
   * it ties a bound ({@code x < lo ? lo : x}, then {@code t > hi ? hi : t}), over {@code n}
   * elements of {@code a} from {@code ia} into {@code o} from {@code io} (which may be the same
   * elements). Math.max/min are branch-free (compare-and-select mispredicts on real activations,
   * 40x slower) and agree except on zeros of opposite sign: {@code Math.max(-0, +0)} is +0 where
   * ONNX Runtime keeps -0, and {@code Math.min(+0, -0)} is -0 where it keeps +0. A +0 lower bound
   * (Relu6) puts the sign of a -0 input back without a branch; a -0 upper bound, which no real
   * model has, takes the selects.
   */
  static void clip(float[] a, int ia, float[] o, int io, int n, float lo, float hi) {
    if (Float.floatToRawIntBits(hi) == NEGATIVE_ZERO) {
      for (int i = 0; i < n; i++) {
        float v = a[ia + i];
        float t = v < lo ? lo : v;
        o[io + i] = t > hi ? hi : t;
      }
    } else if (Float.floatToRawIntBits(lo) == 0) {
      // The vector blend first (this loop does not vectorize: mobilenet_v2's O2 took 13% longer
      // with it alone), then the tail.
      for (int i = ExpKernels.clipAtZero(a, ia, o, io, n, hi); i < n; i++) {
        float v = a[ia + i];
        // d is 0 exactly for a -0 input; (d - 1) & ~d then has the sign bit set, else clear.
        // A -0 input clips to +0 (or to a negative hi, whose sign bit is set already).
        int d = Float.floatToRawIntBits(v) ^ NEGATIVE_ZERO;
        o[io + i] = Float.intBitsToFloat(Float.floatToRawIntBits(Math.min(Math.max(v, lo), hi))
            | ((d - 1) & ~d & NEGATIVE_ZERO));
      }
    } else {
      for (int i = 0; i < n; i++) {
        o[io + i] = Math.min(Math.max(a[ia + i], lo), hi);
      }
    }
  }

  /**
   * {@code op} over a float32 tensor (a view read in place) into output 0 of {@code ctx}, which
   * may share {@code x}'s elements: element i is read before it is written.
   */
  static NdArray unary(Unary op, NdArray x, double p, double q, KernelContext ctx) {
    NdArray out = ctx.output(0, DType.FLOAT, x.dims());
    float[] a = (float[]) x.array();
    float[] o = (float[]) out.array();
    int ia = x.offset();
    int io = out.offset();
    long work = op == Unary.SIGMOID || op == Unary.TANH || op == Unary.EXP ? 32 : WORK_PER_ELEMENT;
    forChunks(x.size(), work, ctx.parallel(),
        (from, to) -> unaryRange(op, a, ia, o, io, from, to, p, q));
    return out;
  }

  private static void unaryRange(Unary op, float[] a, int ia, float[] o, int io, int from, int to,
      double p, double q) {
    switch (op) {
      case RELU -> ExpKernels.relu(a, ia + from, o, io + from, to - from);
      case SIGMOID -> ExpKernels.sigmoid(a, ia + from, o, io + from, to - from);
      case TANH -> {
        for (int i = from; i < to; i++) {
          o[io + i] = (float) Math.tanh(a[ia + i]);
        }
      }
      case EXP -> {
        for (int i = from; i < to; i++) {
          o[io + i] = (float) Math.exp(a[ia + i]);
        }
      }
      case CLIP -> clip(a, ia + from, o, io + from, to - from, (float) p, (float) q);
      case LEAKY_RELU -> {
        for (int i = from; i < to; i++) {
          double v = a[ia + i];
          o[io + i] = (float) (v >= 0 ? v : p * v);
        }
      }
      case HARD_SIGMOID -> {
        for (int i = from; i < to; i++) {
          o[io + i] = (float) Math.max(0, Math.min(1, p * a[ia + i] + q));
        }
      }
      case HARD_SWISH -> {
        for (int i = from; i < to; i++) {
          double v = a[ia + i];
          o[io + i] = (float) (v * Math.max(0, Math.min(1, v / 6 + 0.5)));
        }
      }
      default -> throw new IllegalStateException(op.name());
    }
  }

  /**
   * {@code op} over the broadcast of two float32 tensors. Float +, -, * and / round once, so
   * they equal the generic kernel's double operation rounded to float; max and min are exact.
   */
  static NdArray binary(Binary op, NdArray a, NdArray b, KernelContext.Outputs outputs,
      Parallel par) {
    long[] ad = a.dims();
    long[] bd = b.dims();
    long[] outDims = Broadcast.shape(ad, bd);
    NdArray out = outputs.take(0, DType.FLOAT, outDims);
    float[] x = (float[]) a.array();
    float[] y = (float[]) b.array();
    float[] o = (float[]) out.array();
    int ix = a.offset();
    int iy = b.offset();
    int io = out.offset();
    int n = out.size();
    if (a.size() == n && b.size() == n) {
      forChunks(n, WORK_PER_ELEMENT, par, (from, to) -> same(op, x, ix, y, iy, o, io, from, to));
    } else if (b.size() == 1 || a.size() == 1) {
      float s = b.size() == 1 ? y[iy] : x[ix];
      float[] v = b.size() == 1 ? x : y;
      int iv = b.size() == 1 ? ix : iy;
      boolean scalarRight = b.size() == 1;
      forChunks(n, WORK_PER_ELEMENT, par,
          (from, to) -> scalar(op, v, iv, s, scalarRight, o, io, from, to));
    } else {
      Broadcast.forEachRow(outDims, new long[][] {ad, bd},
          (p, off, st, len) -> row(op, x, ix + off[0], st[0], y, iy + off[1], st[1], o, io + p,
              len));
    }
    return out;
  }

  private static void same(Binary op, float[] x, int ix, float[] y, int iy, float[] o, int io,
      int from, int to) {
    switch (op) {
      case ADD -> {
        for (int i = from; i < to; i++) {
          o[io + i] = x[ix + i] + y[iy + i];
        }
      }
      case SUB -> {
        for (int i = from; i < to; i++) {
          o[io + i] = x[ix + i] - y[iy + i];
        }
      }
      case MUL -> {
        for (int i = from; i < to; i++) {
          o[io + i] = x[ix + i] * y[iy + i];
        }
      }
      case DIV -> {
        for (int i = from; i < to; i++) {
          o[io + i] = x[ix + i] / y[iy + i];
        }
      }
      case MAX -> {
        for (int i = from; i < to; i++) {
          o[io + i] = Math.max(x[ix + i], y[iy + i]);
        }
      }
      case MIN -> {
        for (int i = from; i < to; i++) {
          o[io + i] = Math.min(x[ix + i], y[iy + i]);
        }
      }
    }
  }

  /** {@code v op s} (or {@code s op v} when the scalar is on the left). */
  private static void scalar(Binary op, float[] v, int iv, float s, boolean scalarRight,
      float[] o, int io, int from, int to) {
    switch (op) {
      case ADD -> {
        for (int i = from; i < to; i++) {
          o[io + i] = v[iv + i] + s;
        }
      }
      case MUL -> {
        for (int i = from; i < to; i++) {
          o[io + i] = v[iv + i] * s;
        }
      }
      case SUB -> {
        if (scalarRight) {
          for (int i = from; i < to; i++) {
            o[io + i] = v[iv + i] - s;
          }
        } else {
          for (int i = from; i < to; i++) {
            o[io + i] = s - v[iv + i];
          }
        }
      }
      case DIV -> {
        if (scalarRight) {
          for (int i = from; i < to; i++) {
            o[io + i] = v[iv + i] / s;
          }
        } else {
          for (int i = from; i < to; i++) {
            o[io + i] = s / v[iv + i];
          }
        }
      }
      // Max and Min commute, signed zeros and NaN included.
      case MAX -> {
        for (int i = from; i < to; i++) {
          o[io + i] = Math.max(v[iv + i], s);
        }
      }
      case MIN -> {
        for (int i = from; i < to; i++) {
          o[io + i] = Math.min(v[iv + i], s);
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
