package dev.convoy.ir.ops.family;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.ops.Kernels;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.NodeContext;
import dev.convoy.ir.ops.runtime.ExpKernels;
import java.util.function.DoubleUnaryOperator;

/**
 * The activation a fused op ({@link ConvoyFused}) applies to its own fresh output, in place: the
 * name and parameters of its {@code activation} / {@code activation_params} attributes (ONNX
 * Runtime's FusedConv spelling), then, for Convoy's conv ops, the {@code post_scale} and {@code
 * post_shift} of a scalar Mul and Add that followed the activation (PP-LCNet's learnable affine
 * blocks). Each computes what the standalone op's kernel computes (the same double formula rounded
 * to the element type; the Mul and the Add each rounded, in that order), so fusing changes no
 * value.
 *
 * @param name one of {@link #NAMES}; empty for none
 * @param p first parameter (LeakyRelu and HardSigmoid alpha, Clip min)
 * @param q second parameter (HardSigmoid beta, Clip max)
 * @param scale the factor after the activation; 1 (an exact identity) when there is none
 * @param shift the term added last; -0 (an exact identity, unlike +0) when there is none
 */
public record Activation(String name, double p, double q, float scale, float shift) {
  /** The activations a fused op accepts, in the standard op's own spelling. */
  public static final java.util.List<String> NAMES = java.util.List.of(
      "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip", "HardSigmoid", "HardSwish", "Gelu", "Swish");

  /** No activation: {@link #applyTo} leaves every value as it is. */
  static final Activation NONE = new Activation("", 0, 0);

  /** The bits of -0.0f, the identity of addition that marks "no shift". */
  private static final int NO_SHIFT = Float.floatToRawIntBits(-0f);

  /** An activation with no scale or shift after it. */
  Activation(String name, double p, double q) {
    this(name, p, q, 1f, -0f);
  }

  /**
   * The activation of a node with {@code activation} and {@code activation_params}, and its
   * {@code post_scale} and {@code post_shift} where it has them.
   */
  static Activation of(NodeContext ctx) {
    String name = ctx.attrString("activation");
    float[] params = ctx.attrFloats("activation_params");
    Activation a = checked(ctx, name, params == null ? new float[0] : params);
    boolean scaled = ctx.hasAttr("post_scale");
    boolean shifted = ctx.hasAttr("post_shift");
    return scaled || shifted ? new Activation(a.name, a.p, a.q,
        scaled ? ctx.attrFloat("post_scale") : 1f, shifted ? ctx.attrFloat("post_shift") : -0f)
        : a;
  }

  /** Activation {@code name} with {@code params} (null: none), a fused op's other activations. */
  static Activation named(NodeContext ctx, String name, float[] params) {
    return checked(ctx, name, params == null ? new float[0] : params);
  }

  /** Whether a scale or shift follows the activation. */
  boolean hasPost() {
    return scale != 1f || Float.floatToRawIntBits(shift) != NO_SHIFT;
  }

  /** ONNX Runtime's FusedGemm spelling: {@code activation_alpha}, {@code activation_beta}. */
  static Activation ofOrtGemm(NodeContext ctx) {
    String name = ctx.attrString("activation");
    boolean a = ctx.hasAttr("activation_alpha");
    boolean b = ctx.hasAttr("activation_beta");
    float[] params = a && b
        ? new float[] {ctx.attrFloat("activation_alpha"), ctx.attrFloat("activation_beta")}
        : a ? new float[] {ctx.attrFloat("activation_alpha")} : new float[0];
    return checked(ctx, name, params);
  }

  private static Activation checked(NodeContext ctx, String name, float[] params) {
    int want = switch (name) {
      case "", "Relu", "Sigmoid", "Tanh", "HardSwish", "Gelu", "Swish" -> 0;
      case "LeakyRelu" -> params.length == 0 ? 0 : 1;
      case "HardSigmoid" -> params.length == 0 ? 0 : 2;
      case "Clip" -> 2;
      default -> throw ctx.error("activation '" + name + "' is not one of " + NAMES);
    };
    if (params.length != want) {
      throw ctx.error("activation " + name + " takes " + want + " parameters, got "
          + params.length);
    }
    return switch (name) {
      case "LeakyRelu" -> new Activation(name, want == 1 ? params[0] : 0.01f, 0);
      case "HardSigmoid" -> want == 2
          ? new Activation(name, params[0], params[1]) : new Activation(name, 0.2f, 0.5f);
      case "Clip" -> new Activation(name, params[0], params[1]);
      default -> new Activation(name, 0, 0);
    };
  }

  /** Exact GELU, {@code 0.5 x (1 + erf(x / sqrt 2))}. */
  static Activation gelu() {
    return new Activation("Gelu", 0, 0);
  }

  /** The activation as a double function (what the standalone op's generic kernel computes). */
  DoubleUnaryOperator function() {
    double a = p;
    double b = q;
    return switch (name) {
      case "Relu" -> x -> x < 0 ? 0.0 : x;
      case "LeakyRelu" -> x -> x >= 0 ? x : a * x;
      case "Sigmoid" -> x -> 1 / (1 + Math.exp(-x));
      case "Tanh" -> Math::tanh;
      // max, then min: when a > b every element becomes b, as ONNX specifies.
      case "Clip" -> x -> {
        double t = x < a ? a : x;
        return t > b ? b : t;
      };
      case "HardSigmoid" -> x -> Math.max(0, Math.min(1, a * x + b));
      case "HardSwish" -> x -> x * Math.max(0, Math.min(1, x / 6 + 0.5));
      case "Gelu" -> x -> 0.5 * x * (1 + Elementwise.erf(x / Math.sqrt(2)));
      // x * Sigmoid(x) (SiLU) as the two unfused ops compute it: the sigmoid rounded first.
      case "Swish" -> x -> x * (double) (float) (1 / (1 + Math.exp(-x)));
      default -> x -> x;
    };
  }

  /**
   * {@code y} with the activation applied: a float32 {@code y} (a kernel's own fresh output,
   * read by no one yet) is overwritten in place; other element types are mapped into a copy.
   */
  NdArray apply(NdArray y) {
    if (name.isEmpty() && !hasPost()) {
      return y;
    }
    if (y.dtype() != DType.FLOAT) {
      // Each step rounded to the element type, as the unfused activation, Mul and Add round.
      NdArray r = name.isEmpty() ? y : Kernels.mapFloat(y, function());
      if (scale != 1f) {
        double s = scale;
        r = Kernels.mapFloat(r, v -> v * s);
      }
      if (Float.floatToRawIntBits(shift) != NO_SHIFT) {
        double t = shift;
        r = Kernels.mapFloat(r, v -> v + t);
      }
      return r;
    }
    // y may be a view (an output written at its place in an arena): its elements are o[from, to).
    float[] o = (float[]) y.array();
    int from = y.offset();
    applyTo(o, from, from + y.size());
    return y;
  }

  /**
   * The activation over {@code o[from, to)} in place, as {@link #apply} computes it for a float32
   * tensor: a kernel calls it on each block of its output while the block is still in cache.
   */
  void applyTo(float[] o, int from, int to) {
    activate(o, from, to);
    if (scale != 1f) {
      float s = scale;
      for (int i = from; i < to; i++) {
        o[i] *= s;
      }
    }
    if (Float.floatToRawIntBits(shift) != NO_SHIFT) {
      float t = shift;
      for (int i = from; i < to; i++) {
        o[i] += t;
      }
    }
  }

  private void activate(float[] o, int from, int to) {
    switch (name) {
      case "" -> { }
      case "Relu" -> ExpKernels.relu(o, from, o, from, to - from);
      case "Clip" -> FloatKernels.clip(o, from, o, from, to - from, (float) p, (float) q);
      // One loop per activation (as FloatKernels has for the standalone ops): a shared lambda
      // call per element is what the JIT cannot inline, and it made the fused op slower than
      // the two it replaces.
      case "LeakyRelu" -> {
        // Branch-free: the float product of two floats is the double one rounded, as LeakyRelu's
        // kernel computes it. Against -0 rather than +0, so that a -0 input stays -0 (x >= 0 ?
        // x : a * x, as ONNX Runtime computes it): -0 + a * -0 is -0 for a >= +0, while either
        // side of the sum is -0 for the other sign of x. A negative alpha (a * -0 = +0) takes
        // the select.
        float a = (float) p;
        if (a > 0f || Float.floatToRawIntBits(a) == 0) {
          for (int i = from; i < to; i++) {
            float v = o[i];
            o[i] = Math.max(v, -0f) + a * Math.min(v, -0f);
          }
        } else {
          for (int i = from; i < to; i++) {
            float v = o[i];
            o[i] = v >= 0f ? v : a * v;
          }
        }
      }
      // Float min/max (branch-free intrinsics) rather than double compare-and-select, which
      // mispredicts on real activations and made FusedConv(HardSwish) twice as slow as Conv.
      case "HardSigmoid" -> {
        float a = (float) p;
        float b = (float) q;
        for (int i = from; i < to; i++) {
          o[i] = Math.min(Math.max(a * o[i] + b, 0f), 1f);
        }
      }
      case "HardSwish" -> {
        for (int i = from; i < to; i++) {
          float v = o[i];
          o[i] = v * Math.min(Math.max(v / 6f + 0.5f, 0f), 1f);
        }
      }
      case "Sigmoid" -> ExpKernels.sigmoid(o, from, o, from, to - from);
      case "Gelu" -> ExpKernels.gelu(o, from, o, from, to - from);
      case "Swish" -> ExpKernels.swish(o, from, o, from, to - from);
      case "Tanh" -> {
        for (int i = from; i < to; i++) {
          o[i] = (float) Math.tanh(o[i]);
        }
      }
      default -> {
        DoubleUnaryOperator f = function();
        for (int i = from; i < to; i++) {
          o[i] = (float) f.applyAsDouble(o[i]);
        }
      }
    }
  }
}
