package dev.convoy.transforms.differential;

import java.util.SplittableRandom;

/**
 * What every family of generated blocks shares: the model being written, its float type, and the
 * seeded choices that make a pattern vary (an intermediate exposed as a graph output or read a
 * second time, a constant exactly on or just off the value a rule looks for).
 */
abstract class Blocks {
  /** A value being built: its name and concrete dims (the first may be symbolic in the input). */
  record V(String name, long[] dims) {
    int rank() {
      return dims.length;
    }

    long dim(int i) {
      return dims[i < 0 ? dims.length + i : i];
    }
  }

  final ModelText m;
  final SplittableRandom rng;
  /** The model's float type: float32, float16 or float64. */
  final String t;

  Blocks(ModelText m, String floatType) {
    this.m = m;
    this.rng = m.rng;
    this.t = floatType;
  }

  boolean chance(double p) {
    return rng.nextDouble() < p;
  }

  int pick(int n) {
    return rng.nextInt(n);
  }

  @SafeVarargs
  final <X> X oneOf(X... xs) {
    return xs[rng.nextInt(xs.length)];
  }

  /**
   * Exposes an intermediate of a pattern: sometimes as a graph output, sometimes with a second
   * reader (whose result is a graph output), so that a rule must keep it.
   */
  void tap(String value) {
    double r = rng.nextDouble();
    if (r < 0.08) {
      m.output(value);
    } else if (r < 0.14) {
      m.output(m.node("Neg", "", value));
    }
  }

  /** {@code value} most of the time; sometimes a constant just off it, which a rule must refuse. */
  double near(double value) {
    double r = rng.nextDouble();
    if (r < 0.85) {
      return value;
    }
    return r < 0.93 ? value * (1 - 2e-4) : value + 1e-3;
  }

  /** A float initializer of type {@code t}. */
  String weights(String hint, long[] dims, double lo, double hi) {
    return m.randomInit(hint, t, dims, lo, hi);
  }

  String scalarT(String hint, double v) {
    return m.scalar(hint, t, v);
  }

  /** Reduce op with axes as attribute or input, as the opset wants (ReduceSum: input from 13). */
  String reduce(String op, String x, long[] axes, boolean keepdims) {
    boolean axesInput = op.equals("ReduceSum") ? m.opset >= 13 : m.opset >= 18;
    String kd = "keepdims=" + (keepdims ? 1 : 0);
    if (axesInput) {
      return m.node(op, kd, x, m.ints("axes", axes));
    }
    return m.node(op, "axes=" + ModelText.list(axes) + ", " + kd, x);
  }

  /**
   * A 2-D {@code op} (MaxPool or AveragePool) over {@code x} with a square kernel, stride and
   * padding, rounding up when {@code ceil}; an AveragePool counts its padding half the time.
   */
  V pool2d(String op, V x, long k, long s, long p, boolean ceil) {
    String attrs = "kernel_shape=" + ModelText.list(k, k) + ", strides=" + ModelText.list(s, s)
        + ", pads=" + ModelText.list(p, p, p, p) + (ceil ? ", ceil_mode=1" : "");
    if (op.equals("AveragePool") && chance(0.5)) {
      attrs += ", count_include_pad=1";
    }
    return new V(m.node(op, attrs, x.name()), dims(x.dim(0), x.dim(1),
        outSize(x.dim(2), k, s, p, ceil), outSize(x.dim(3), k, s, p, ceil)));
  }

  /** ONNX's pooled size, with the last ceil-mode window dropped when it starts in the padding. */
  private static long outSize(long in, long k, long s, long p, boolean ceil) {
    long span = in + 2 * p - k;
    long o = (ceil ? (span + s - 1) / s : span / s) + 1;
    if (ceil && (o - 1) * s >= in + p) {
      o--;
    }
    return o;
  }

  /** An activation of the seeded kind (or none), written the way exporters write it. */
  String activation(String x) {
    return switch (pick(12)) {
      case 0, 1 -> m.node("Relu", "", x);
      case 2 -> m.node("Clip", "", x, scalarT("lo", 0), scalarT("hi", near(6)));
      case 3 -> m.node("LeakyRelu", "alpha=" + (float) (0.01 + rng.nextDouble() * 0.2), x);
      case 4 -> m.node("Sigmoid", "", x);
      case 5 -> swish(x);
      case 6 -> hardSwish(x);
      case 7 -> mish(x);
      case 8 -> m.node("HardSigmoid", "alpha=" + (float) near(1 / 6.0) + ", beta=0.5", x);
      case 9 -> m.node("Clip", "", x, scalarT("lo", -1), "");
      case 10 -> m.node("Tanh", "", x);
      default -> x;
    };
  }

  String swish(String x) {
    String s = m.node("Sigmoid", "", x);
    tap(s);
    return chance(0.5) ? m.node("Mul", "", x, s) : m.node("Mul", "", s, x);
  }

  /** x * relu6(x + 3) / 6, or x * HardSigmoid(x), with the constants sometimes off. */
  String hardSwish(String x) {
    if (chance(0.4)) {
      String hs = m.node("HardSigmoid", "alpha=" + (float) near(1 / 6.0) + ", beta=" + (float) near(0.5), x);
      tap(hs);
      return m.node("Mul", "", x, hs);
    }
    String a = m.node("Add", "", x, scalarT("three", near(3)));
    String c = m.node("Clip", "", a, scalarT("zero", 0), scalarT("six", near(6)));
    tap(c);
    if (chance(0.5)) {
      String p = m.node("Mul", "", x, c);
      return m.node("Div", "", p, scalarT("six", near(6)));
    }
    String d = m.node("Mul", "", c, scalarT("sixth", near(1 / 6.0)));
    return m.node("Mul", "", d, x);
  }

  /** x * tanh(softplus(x)), softplus as the op or as log(1 + exp(x)). */
  String mish(String x) {
    String sp;
    if (chance(0.5)) {
      sp = m.node("Softplus", "", x);
    } else {
      String e = m.node("Exp", "", x);
      sp = m.node("Log", "", m.node("Add", "", e, scalarT("one", near(1))));
    }
    String th = m.node("Tanh", "", sp);
    tap(th);
    return m.node("Mul", "", x, th);
  }

  /**
   * One of the small identities O1 and O2 simplify, on the seeded side of safe: a Div by a power
   * of two (or not), Sub of a Neg, Not before Where, Relu / Clip / Min / Max chains, a Cast round
   * trip (exact through float64, lossy through float16 or int32), adding zero (+0.0 or -0.0),
   * multiplying by one, raising to the power one.
   */
  String identity(String x) {
    return switch (pick(9)) {
      case 0 -> m.node("Div", "", x, scalarT("p2", oneOf(2.0, 0.25, 3.0, 8.0)));
      case 1 -> chance(0.5) ? m.node("Sub", "", m.node("Neg", "", x), m.node("Relu", "", x))
          : m.node("Add", "", m.node("Relu", "", x), m.node("Neg", "", x));
      case 2 -> {
        String c = m.node("Greater", "", x, scalarT("z", 0));
        tap(c);
        yield m.node("Where", "", m.node("Not", "", c), x, m.node("Neg", "", x));
      }
      case 3 -> {
        String r = m.node(oneOf("Relu", "Identity"), "", x);
        String c = m.node("Clip", "", r, scalarT("lo", oneOf(-1.0, 0.0, 0.5)),
            scalarT("hi", oneOf(6.0, 1.0)));
        tap(c);
        yield m.node(oneOf("Min", "Max"), "", c, scalarT("k", oneOf(0.25, 4.0)));
      }
      case 4 -> {
        String mid = oneOf("float64", "float16", "int32", "float32");
        if (mid.equals(t)) {
          mid = "float64";
        }
        String c = m.node("Cast", "to=" + code(mid), x);
        tap(c);
        yield m.node("Cast", "to=" + code(t), c);
      }
      case 5 -> m.node("Add", "", x, scalarT("zero", oneOf(0.0, -0.0)));
      case 6 -> m.node("Mul", "", scalarT("one", near(1)), x);
      case 7 -> m.node("Pow", "", x, scalarT("one", near(1)));
      default -> m.node("Neg", "", m.node("Neg", "", x));
    };
  }

  private static int code(String dtype) {
    return switch (dtype) {
      case "float32" -> 1;
      case "int32" -> 6;
      case "float16" -> 10;
      default -> 11;
    };
  }

  static long[] dims(long... d) {
    return d;
  }
}
