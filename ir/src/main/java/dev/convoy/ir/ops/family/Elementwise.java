package dev.convoy.ir.ops.family;

import static dev.convoy.ir.ops.Kernels.one;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.ops.Broadcast;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.Kernels;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.ShapeFns;
import dev.convoy.ir.ops.runtime.ExpKernels;
import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.LongBinaryOperator;
import java.util.function.LongUnaryOperator;

/**
 * Elementwise ops: unary math and activations, binary arithmetic with numpy broadcasting,
 * comparisons, logical and bitwise ops, the variadic Sum/Mean/Max/Min, Where, Clip and Identity
 * (Cast and CastLike are {@link Cast}).
 */
public final class Elementwise implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    registerUnary(r);
    registerActivations(r);
    registerBinary(r);
    registerComparisons(r);
    registerVariadic(r);
    registerMisc(r);
  }

  // ---- unary math ----

  private static void unary(OpRegistrar r, String op, int since, DoubleUnaryOperator f,
      LongUnaryOperator g) {
    r.op(op, since).shape(ShapeFns.sameAsInput(0))
        .kernel(ctx -> one(Kernels.map(ctx.tensor(0), f, g)));
  }

  /** As {@link #unary}, with a float32 fast path computing the same values as {@code f}. */
  private static void unary(OpRegistrar r, String op, int since, DoubleUnaryOperator f,
      LongUnaryOperator g, FloatKernels.Unary fast) {
    r.op(op, since).shape(ShapeFns.sameAsInput(0)).kernel(ctx -> {
      NdArray x = ctx.tensor(0);
      return one(FloatKernels.applies(x) ? FloatKernels.unary(fast, x, 0, 0, ctx)
          : Kernels.map(x, f, g));
    });
  }

  private static void registerUnary(OpRegistrar r) {
    unary(r, "Abs", 1, Math::abs, Math::abs);
    unary(r, "Neg", 1, x -> -x, x -> -x);
    unary(r, "Floor", 1, Math::floor, null);
    unary(r, "Ceil", 1, Math::ceil, null);
    unary(r, "Round", 11, Math::rint, null);
    unary(r, "Sign", 9, Math::signum, Long::signum);
    unary(r, "Sqrt", 1, Math::sqrt, null);
    unary(r, "Reciprocal", 1, x -> 1.0 / x, null);
    unary(r, "Exp", 1, Math::exp, null, FloatKernels.Unary.EXP);
    unary(r, "Log", 1, Math::log, null);
    unary(r, "Erf", 9, Elementwise::erf, null);
    unary(r, "Sin", 7, Math::sin, null);
    unary(r, "Cos", 7, Math::cos, null);
    unary(r, "Tan", 7, Math::tan, null);
    unary(r, "Asin", 7, Math::asin, null);
    unary(r, "Acos", 7, Math::acos, null);
    unary(r, "Atan", 7, Math::atan, null);
    unary(r, "Sinh", 9, Math::sinh, null);
    unary(r, "Cosh", 9, Math::cosh, null);
    unary(r, "Tanh", 1, Math::tanh, null, FloatKernels.Unary.TANH);
    unary(r, "Asinh", 9, x -> Math.log(x + Math.sqrt(x * x + 1)), null);
    unary(r, "Acosh", 9, x -> Math.log(x + Math.sqrt(x * x - 1)), null);
    unary(r, "Atanh", 9, x -> 0.5 * Math.log((1 + x) / (1 - x)), null);
    unary(r, "BitwiseNot", 18, null, x -> ~x);
    r.op("Not", 1).shape(ShapeFns.sameAsInput(0)).kernel(ctx -> {
      ctx.requireType(0, DType.BOOL);
      return one(Kernels.map(ctx.tensor(0), null, x -> x == 0 ? 1 : 0));
    });
    r.op("IsNaN", 9).shape(ShapeFns.sameShapeAs(0, DType.BOOL))
        .kernel(ctx -> one(Kernels.testFloat(ctx.tensor(0), Double::isNaN)));
    r.op("IsInf", 10).attr("detect_negative", 1L).attr("detect_positive", 1L)
        .shape(ShapeFns.sameShapeAs(0, DType.BOOL))
        .kernel(ctx -> {
          boolean neg = ctx.attrLong("detect_negative") != 0;
          boolean pos = ctx.attrLong("detect_positive") != 0;
          return one(Kernels.testFloat(ctx.tensor(0),
              x -> (pos && x == Double.POSITIVE_INFINITY) || (neg && x == Double.NEGATIVE_INFINITY)));
        });
  }

  /** The error function ({@link ExpKernels#erf}). */
  static double erf(double x) {
    return ExpKernels.erf(x);
  }

  private static double softplus(double x) {
    return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
  }

  // ---- activations ----

  private static void registerActivations(OpRegistrar r) {
    unary(r, "Relu", 1, x -> x < 0 ? 0.0 : x, x -> Math.max(x, 0),
        FloatKernels.Unary.RELU);
    unary(r, "Sigmoid", 1, x -> 1 / (1 + Math.exp(-x)), null, FloatKernels.Unary.SIGMOID);
    unary(r, "Softplus", 1, Elementwise::softplus, null);
    unary(r, "Softsign", 1, x -> x / (1 + Math.abs(x)), null);
    unary(r, "Mish", 18, x -> x * Math.tanh(softplus(x)), null);
    unary(r, "HardSwish", 14, x -> x * Math.max(0, Math.min(1, x / 6 + 0.5)), null,
        FloatKernels.Unary.HARD_SWISH);
    r.op("LeakyRelu", 1).attr("alpha", 0.01f).shape(ShapeFns.sameAsInput(0)).kernel(ctx -> {
      double a = ctx.attrFloat("alpha");
      NdArray in = ctx.tensor(0);
      if (FloatKernels.applies(in)) {
        return one(FloatKernels.unary(FloatKernels.Unary.LEAKY_RELU, in, a, 0, ctx));
      }
      return one(Kernels.mapFloat(in, x -> x >= 0 ? x : a * x));
    });
    r.op("Elu", 1).attr("alpha", 1.0f).shape(ShapeFns.sameAsInput(0)).kernel(ctx -> {
      double a = ctx.attrFloat("alpha");
      return one(Kernels.mapFloat(ctx.tensor(0), x -> x >= 0 ? x : a * (Math.exp(x) - 1)));
    });
    r.op("Selu", 1).attr("alpha", 1.67326319217681884765625f)
        .attr("gamma", 1.05070102214813232421875f).shape(ShapeFns.sameAsInput(0))
        .kernel(ctx -> {
          double a = ctx.attrFloat("alpha");
          double g = ctx.attrFloat("gamma");
          return one(Kernels.mapFloat(ctx.tensor(0),
              x -> x > 0 ? g * x : g * (a * Math.exp(x) - a)));
        });
    r.op("Celu", 12).attr("alpha", 1.0f).shape(ShapeFns.sameAsInput(0)).kernel(ctx -> {
      double a = ctx.attrFloat("alpha");
      return one(Kernels.mapFloat(ctx.tensor(0),
          x -> Math.max(0, x) + Math.min(0, a * (Math.exp(x / a) - 1))));
    });
    r.op("HardSigmoid", 1).attr("alpha", 0.2f).attr("beta", 0.5f)
        .shape(ShapeFns.sameAsInput(0)).kernel(ctx -> {
          double a = ctx.attrFloat("alpha");
          double b = ctx.attrFloat("beta");
          NdArray in = ctx.tensor(0);
          if (FloatKernels.applies(in)) {
            return one(FloatKernels.unary(FloatKernels.Unary.HARD_SIGMOID, in, a, b, ctx));
          }
          return one(Kernels.mapFloat(in, x -> Math.max(0, Math.min(1, a * x + b))));
        });
    r.op("Swish", 24).attr("alpha", 1.0f).shape(ShapeFns.sameAsInput(0)).kernel(ctx -> {
      double a = ctx.attrFloat("alpha");
      return one(Kernels.mapFloat(ctx.tensor(0), x -> x / (1 + Math.exp(-a * x))));
    });
    r.op("ThresholdedRelu", 10).attr("alpha", 1.0f).shape(ShapeFns.sameAsInput(0))
        .kernel(ctx -> {
          double a = ctx.attrFloat("alpha");
          return one(Kernels.mapFloat(ctx.tensor(0), x -> x > a ? x : 0));
        });
    r.op("Gelu", 20).attr("approximate", "none").shape(ShapeFns.sameAsInput(0)).kernel(ctx -> {
      boolean tanh = switch (ctx.attrString("approximate")) {
        case "none" -> false;
        case "tanh" -> true;
        default -> throw ctx.error("approximate must be 'none' or 'tanh'");
      };
      double k = Math.sqrt(2 / Math.PI);
      DoubleUnaryOperator f = tanh
          ? x -> 0.5 * x * (1 + Math.tanh(k * (x + 0.044715 * x * x * x)))
          : x -> 0.5 * x * (1 + erf(x / Math.sqrt(2)));
      return one(Kernels.mapFloat(ctx.tensor(0), f));
    });
    // ONNX Runtime's contrib Gelu, which fuse-gelu-erf writes below opset 20: the exact erf form.
    r.op("com.microsoft", "Gelu", 1).shape(ShapeFns.sameAsInput(0)).kernel(ctx ->
        one(Kernels.mapFloat(ctx.tensor(0), x -> 0.5 * x * (1 + erf(x / Math.sqrt(2))))));
    r.op("Shrink", 9).attr("bias", 0.0f).attr("lambd", 0.5f).shape(ShapeFns.sameAsInput(0))
        .kernel(ctx -> {
          double bias = ctx.attrFloat("bias");
          double l = ctx.attrFloat("lambd");
          DoubleUnaryOperator f = x -> x < -l ? x + bias : (x > l ? x - bias : 0);
          return one(Kernels.map(ctx.tensor(0), f, x -> (long) f.applyAsDouble(x)));
        });
    r.op("PRelu", 7).inputs(2).shape(ShapeFns.broadcast()).kernel(ctx -> {
      NdArray x = ctx.tensor(0);
      NdArray slope = ctx.tensor(1);
      Kernels.requireSameType(ctx, x, slope);
      return one(Kernels.zip(x, slope, (a, s) -> a < 0 ? a * s : a, (a, s) -> a < 0 ? a * s : a));
    });
    // Clip 6: bounds are attributes; Clip 11+: optional scalar inputs.
    r.op("Clip", 6).attr("min", -Float.MAX_VALUE).attr("max", Float.MAX_VALUE)
        .shape(ShapeFns.sameAsInput(0))
        .kernel(ctx -> one(clip(ctx.tensor(0), ctx.attrFloat("min"), ctx.attrFloat("max"),
            Long.MIN_VALUE, Long.MAX_VALUE, ctx)));
    r.op("Clip", 11).inputs(1, 3).shape(ShapeFns.sameAsInput(0)).kernel(ctx -> {
      NdArray x = ctx.tensor(0);
      return one(clip(x,
          ctx.scalarDouble(1, Double.NEGATIVE_INFINITY), ctx.scalarDouble(2, Double.POSITIVE_INFINITY),
          ctx.scalarLong(1, Long.MIN_VALUE), ctx.scalarLong(2, Long.MAX_VALUE), ctx));
    });
  }

  private static NdArray clip(NdArray x, double lo, double hi, long ilo, long ihi,
      KernelContext ctx) {
    if (FloatKernels.applies(x)) {
      return FloatKernels.unary(FloatKernels.Unary.CLIP, x, lo, hi, ctx);
    }
    // min first, then max: when lo > hi every element becomes hi, as ONNX specifies.
    return Kernels.map(x,
        v -> {
          double t = v < lo ? lo : v;
          return t > hi ? hi : t;
        },
        v -> Math.min(Math.max(v, ilo), ihi));
  }

  // ---- binary arithmetic ----

  private static void binary(OpRegistrar r, String op, int since, DoubleBinaryOperator f,
      LongBinaryOperator g, LongBinaryOperator gUnsigned64) {
    binary(r, op, since, f, g, gUnsigned64, null);
  }

  /** As above, with a float32 fast path ({@code null}: none) computing the same values. */
  private static void binary(OpRegistrar r, String op, int since, DoubleBinaryOperator f,
      LongBinaryOperator g, LongBinaryOperator gUnsigned64, FloatKernels.Binary fast) {
    r.op(op, since).inputs(2).shape(ShapeFns.broadcast()).kernel(ctx -> {
      NdArray a = ctx.tensor(0);
      NdArray b = ctx.tensor(1);
      Kernels.requireSameType(ctx, a, b);
      if (fast != null && FloatKernels.applies(a)) {
        return one(FloatKernels.binary(fast, a, b, ctx::output, ctx.parallel()));
      }
      try {
        return one(Kernels.zip(a, b, f, a.dtype() == DType.UINT64 ? gUnsigned64 : g));
      } catch (ArithmeticException e) {
        throw ctx.error("integer " + e.getMessage());
      }
    });
  }

  private static void registerBinary(OpRegistrar r) {
    binary(r, "Add", 7, Double::sum, Long::sum, Long::sum, FloatKernels.Binary.ADD);
    binary(r, "Sub", 7, (a, b) -> a - b, (a, b) -> a - b, (a, b) -> a - b,
        FloatKernels.Binary.SUB);
    binary(r, "Mul", 7, (a, b) -> a * b, (a, b) -> a * b, (a, b) -> a * b,
        FloatKernels.Binary.MUL);
    binary(r, "Div", 7, (a, b) -> a / b, (a, b) -> a / b, Long::divideUnsigned,
        FloatKernels.Binary.DIV);
    LongBinaryOperator and = (a, b) -> a & b;
    LongBinaryOperator or = (a, b) -> a | b;
    LongBinaryOperator xor = (a, b) -> a ^ b;
    binary(r, "BitwiseAnd", 18, null, and, and);
    binary(r, "BitwiseOr", 18, null, or, or);
    binary(r, "BitwiseXor", 18, null, xor, xor);
    for (String op : List.of("And", "Or", "Xor")) {
      LongBinaryOperator g = switch (op) {
        case "And" -> and;
        case "Or" -> or;
        default -> xor;
      };
      r.op(op, 7).inputs(2).shape(ShapeFns.broadcastTo(DType.BOOL)).kernel(ctx -> {
        ctx.requireType(0, DType.BOOL);
        ctx.requireType(1, DType.BOOL);
        return one(Kernels.zip(ctx.tensor(0), ctx.tensor(1), null, g));
      });
    }
    r.op("Pow", 7).inputs(2).shape(ctx -> ShapeFns.tensor(ctx.dtype(0), ShapeFns.broadcastInputs(ctx)))
        .kernel(ctx -> one(square(ctx.tensor(0), ctx.tensor(1)) ? squared(ctx, ctx.tensor(0))
            : pow(ctx.tensor(0), ctx.tensor(1))));
    r.op("Mod", 10).inputs(2).attr("fmod", 0L).shape(ShapeFns.broadcast()).kernel(ctx -> {
      NdArray a = ctx.tensor(0);
      NdArray b = ctx.tensor(1);
      Kernels.requireSameType(ctx, a, b);
      boolean fmod = ctx.attrLong("fmod") != 0;
      if (a.dtype().isFloatingPoint() && !fmod) {
        throw ctx.error("Mod of floating-point tensors requires fmod=1");
      }
      boolean u64 = a.dtype() == DType.UINT64;
      LongBinaryOperator g = u64 ? Long::remainderUnsigned
          : fmod ? (x, y) -> x % y
          : (x, y) -> {
            long m = x % y;
            return m != 0 && ((m ^ y) < 0) ? m + y : m;
          };
      try {
        return one(Kernels.zip(a, b, (x, y) -> x % y, g));
      } catch (ArithmeticException e) {
        throw ctx.error("integer " + e.getMessage());
      }
    });
    r.op("BitShift", 11).inputs(2).requiredAttr("direction").shape(ShapeFns.broadcast())
        .kernel(ctx -> {
          NdArray a = ctx.tensor(0);
          NdArray b = ctx.tensor(1);
          Kernels.requireSameType(ctx, a, b);
          boolean left = switch (ctx.attrString("direction")) {
            case "LEFT" -> true;
            case "RIGHT" -> false;
            default -> throw ctx.error("direction must be LEFT or RIGHT");
          };
          if (a.dtype().isSigned()) {
            throw ctx.error("BitShift needs unsigned integers, got " + a.dtype().textName());
          }
          LongBinaryOperator g = left
              ? (x, s) -> s >= 64 ? 0 : x << s
              : (x, s) -> s >= 64 ? 0 : x >>> s;
          return one(Kernels.zip(a, b, null, g));
        });
  }

  /**
   * Whether {@code Pow(base, exp)} squares a float32 tensor (LayerNorm's variance as exporters
   * write it): a single exponent 2 that broadcasts to the base's shape.
   */
  private static boolean square(NdArray base, NdArray exp) {
    return base.dtype() == DType.FLOAT && exp.size() == 1 && exp.rank() <= base.rank()
        && exp.dtype().isFloatingPoint() && exp.getDouble(0) == 2.0;
  }

  /**
   * {@code x * x} in float32 into the output: what {@link #pow} gives for the exponent 2 (the
   * double square of a float is exact and {@code Math.pow(x, 2)} is that square), without the
   * double arrays.
   */
  private static NdArray squared(KernelContext ctx, NdArray base) {
    float[] x = (float[]) base.array();
    int xo = base.offset();
    NdArray y = ctx.output(0, DType.FLOAT, base.dims());
    float[] o = (float[]) y.array();
    int yo = y.offset();
    for (int i = 0; i < base.size(); i++) {
      float v = x[xo + i];
      o[yo + i] = v * v;
    }
    return y;
  }

  private static NdArray pow(NdArray base, NdArray exp) {
    long[] dims = Broadcast.shape(base.dims(), exp.dims());
    double[] x = base.toDoubles();
    double[] y = exp.toDoubles();
    double[] o = new double[NdArray.checkedSize(dims)];
    boolean intBase = !base.dtype().isFloatingPoint();
    Broadcast.forEachRow(dims, new long[][] {base.dims(), exp.dims()}, (p, off, st, len) -> {
      for (int j = 0, ia = off[0], ib = off[1]; j < len; j++, ia += st[0], ib += st[1]) {
        double v = Math.pow(x[ia], y[ib]);
        o[p + j] = intBase ? (double) (long) v : v;
      }
    });
    return NdArray.fromDoubles(base.dtype(), dims, o);
  }

  // ---- comparisons ----

  private static void registerComparisons(OpRegistrar r) {
    compare(r, "Greater", 7, (a, b) -> a > b, (a, b) -> a > b);
    compare(r, "Less", 7, (a, b) -> a < b, (a, b) -> a < b);
    compare(r, "GreaterOrEqual", 12, (a, b) -> a >= b, (a, b) -> a >= b);
    compare(r, "LessOrEqual", 12, (a, b) -> a <= b, (a, b) -> a <= b);
    r.op("Equal", 7).inputs(2).shape(ShapeFns.broadcastTo(DType.BOOL)).kernel(ctx -> {
      NdArray a = ctx.tensor(0);
      NdArray b = ctx.tensor(1);
      Kernels.requireSameType(ctx, a, b);
      if (a.dtype() == DType.STRING) {
        return one(equalStrings(a, b));
      }
      return one(Kernels.compare(a, b, (x, y) -> x == y, (x, y) -> x == y));
    });
  }

  private static void compare(OpRegistrar r, String op, int since, Kernels.DoubleCompare f,
      Kernels.LongCompare g) {
    r.op(op, since).inputs(2).shape(ShapeFns.broadcastTo(DType.BOOL)).kernel(ctx -> {
      NdArray a = ctx.tensor(0);
      NdArray b = ctx.tensor(1);
      Kernels.requireSameType(ctx, a, b);
      return one(Kernels.compare(a, b, f, g));
    });
  }

  private static NdArray equalStrings(NdArray a, NdArray b) {
    long[] dims = Broadcast.shape(a.dims(), b.dims());
    byte[][] x = a.strings();
    byte[][] y = b.strings();
    byte[] o = new byte[NdArray.checkedSize(dims)];
    Broadcast.forEachRow(dims, new long[][] {a.dims(), b.dims()}, (p, off, st, len) -> {
      for (int j = 0, ia = off[0], ib = off[1]; j < len; j++, ia += st[0], ib += st[1]) {
        o[p + j] = (byte) (Arrays.equals(x[ia], y[ib]) ? 1 : 0);
      }
    });
    return NdArray.wrap(DType.BOOL, dims, o);
  }

  // ---- variadic ----

  private static void registerVariadic(OpRegistrar r) {
    variadic(r, "Sum", Double::sum, Long::sum, Long::sum, FloatKernels.Binary.ADD);
    variadic(r, "Max", Math::max, Math::max, (a, b) -> Long.compareUnsigned(a, b) >= 0 ? a : b,
        FloatKernels.Binary.MAX);
    variadic(r, "Min", Math::min, Math::min, (a, b) -> Long.compareUnsigned(a, b) <= 0 ? a : b,
        FloatKernels.Binary.MIN);
    r.op("Mean", 6).variadicInputs(1).shape(ShapeFns.broadcast()).kernel(ctx -> {
      NdArray acc = fold(ctx, Double::sum, null, null, FloatKernels.Binary.ADD);
      int n = ctx.inputCount();
      return one(Kernels.mapFloat(acc, x -> x / n));
    });
  }

  /**
   * A variadic op folding {@code f} (float), {@code g} (integer) or {@code gUnsigned64} over its
   * inputs; float32 runs {@code floatOp}, FloatKernels' loop of the same operation.
   */
  private static void variadic(OpRegistrar r, String op, DoubleBinaryOperator f,
      LongBinaryOperator g, LongBinaryOperator gUnsigned64, FloatKernels.Binary floatOp) {
    r.op(op, 6).variadicInputs(1).shape(ShapeFns.broadcast())
        .kernel(ctx -> one(fold(ctx, f, g, gUnsigned64, floatOp)));
  }

  private static NdArray fold(KernelContext ctx, DoubleBinaryOperator f, LongBinaryOperator g,
      LongBinaryOperator gUnsigned64, FloatKernels.Binary floatOp) {
    NdArray acc = ctx.tensor(0);
    if (ctx.inputCount() == 1) {
      // One input: still a fresh result shape-wise; identity of data is fine (inputs immutable).
      return acc;
    }
    LongBinaryOperator ig = acc.dtype() == DType.UINT64 ? gUnsigned64 : g;
    // Float32: the float fast path of Add, Max or Min, step by step in the same order.
    boolean fast = FloatKernels.applies(acc);
    for (int i = 1; i < ctx.inputCount(); i++) {
      NdArray next = ctx.tensor(i);
      Kernels.requireSameType(ctx, acc, next);
      // The last step writes the node's output (its planned place); the earlier ones a temporary.
      acc = fast ? FloatKernels.binary(floatOp, acc, next,
          i == ctx.inputCount() - 1 ? ctx::output : KernelContext.Outputs.FRESH, ctx.parallel())
          : Kernels.zip(acc, next, f, ig);
    }
    return acc;
  }

  // ---- Where, Identity ----

  private static void registerMisc(OpRegistrar r) {
    r.op("Identity", 1).shape(ShapeFns.sameAsInput(0)).kernel(ctx -> one(ctx.input(0)));
    r.op("Where", 9).inputs(3)
        .shape(ctx -> ShapeFns.tensor(
            ctx.dtype(1) != null ? ctx.dtype(1) : ctx.dtype(2), ShapeFns.broadcastInputs(ctx)))
        .kernel(ctx -> {
          NdArray c = ctx.tensor(0);
          NdArray x = ctx.tensor(1);
          NdArray y = ctx.tensor(2);
          ctx.requireType(0, DType.BOOL);
          Kernels.requireSameType(ctx, x, y);
          return one(where(c, x, y));
        });
  }

  private static NdArray where(NdArray c, NdArray x, NdArray y) {
    long[] dims = Broadcast.shape(c.dims(), x.dims(), y.dims());
    NdArray out = NdArray.allocate(x.dtype(), dims);
    byte[] cond = c.bytes();
    Object xs = x.data();
    Object ys = y.data();
    Object os = out.data();
    Broadcast.forEachRow(dims, new long[][] {c.dims(), x.dims(), y.dims()}, (p, off, st, len) -> {
      for (int j = 0; j < len; j++) {
        boolean take = cond[off[0] + j * st[0]] != 0;
        if (take) {
          System.arraycopy(xs, off[1] + j * st[1], os, p + j, 1);
        } else {
          System.arraycopy(ys, off[2] + j * st[2], os, p + j, 1);
        }
      }
    });
    return out;
  }

}
