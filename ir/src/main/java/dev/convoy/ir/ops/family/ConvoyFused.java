package dev.convoy.ir.ops.family;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.InferenceContext;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.Kernels;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.OpDef;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.RuntimeValue;
import dev.convoy.ir.ops.ShapeFns;
import dev.convoy.ir.ops.runtime.ExpKernels;
import java.util.ArrayList;
import java.util.List;

/**
 * Convoy's own fused ops, domain {@code convoy} (opset 1), which the {@code cvy} target's fusions
 * produce, and the ONNX Runtime contrib ops ({@code com.microsoft}) that the same fusions write for
 * {@code --onnx-ops ort}, so that the evaluator, shape inference and the verifier know both.
 *
 * <ul>
 *   <li>{@code FusedConv(X, W, B?, Z?)}: Conv's attributes plus {@code activation} and {@code
 *       activation_params}, and (convoy domain only) a residual {@code Z} of the output's shape
 *       added before the activation (ONNX Runtime's spelling), {@code post_scale} and {@code
 *       post_shift}, a scalar Mul and then Add after the activation; the bias, Z, the activation
 *       and those run on each block of the convolution's output as the product finishes it,
 *       while the block is in cache.
 *   <li>{@code FusedGemm(A, B, C?)}: Gemm plus {@code activation}, {@code activation_params}.
 *   <li>{@code FusedMatMul(A, B, bias?)}: numpy MatMul, plus a bias broadcast over the last axis,
 *       then the activation, row by row in one pass over the product.
 *   <li>{@code Gelu(X)} (exact, erf) and {@code LayerNormalization}: the standard ops, for models
 *       whose opset predates them (20 and 17); LayerNormalization also takes {@code activation}
 *       and {@code activation_params}, applied to its normalized output.
 *   <li>{@code SkipLayerNormalization(X, skip, gamma, beta?, bias?)}: LayerNormalization over the
 *       last axis of {@code X + skip (+ bias)}; outputs the normalized value, mean, inverse
 *       standard deviation and the sum (ONNX Runtime's signature).
 * </ul>
 *
 * The convolution, Gemm and MatMul themselves are the catalog's standard kernels (Conv's taking
 * the activation as its epilogue; Gemm and MatMul looked up, not copied); only the epilogue is
 * new. Activations are those of {@link Activation}. Exporting to
 * ONNX expands every {@code convoy} op back into standard ops; {@code docs/convoy-ops.md} lists
 * them with their expansions.
 */
public final class ConvoyFused implements OpFamily {
  /** The domain of Convoy's own ops. */
  public static final String DOMAIN = OpCatalog.CONVOY_DOMAIN;
  /** ONNX Runtime's contrib domain. */
  public static final String MICROSOFT = "com.microsoft";

  private static final Attribute NO_PARAMS = new Attribute.FloatsAttr(new float[0]);

  @Override
  public void register(OpRegistrar r) {
    conv(r.op(DOMAIN, "FusedConv", 1)).inputs(2, 4).attr("activation", "")
        .attr("activation_params", NO_PARAMS).optionalAttr("post_scale")
        .optionalAttr("post_shift")
        .kernel(ctx -> fusedConv(ctx, Activation.of(ctx)));
    conv(r.op(MICROSOFT, "FusedConv", 1)).attr("activation", "")
        .attr("activation_params", NO_PARAMS)
        .kernel(ctx -> fusedConv(ctx, Activation.of(ctx)));
    gemm(r.op(DOMAIN, "FusedGemm", 1)).attr("activation", "")
        .attr("activation_params", NO_PARAMS)
        .kernel(ctx -> fusedGemm(ctx, Activation.of(ctx)));
    gemm(r.op(MICROSOFT, "FusedGemm", 1)).attr("activation", "")
        .optionalAttr("activation_alpha").optionalAttr("activation_beta")
        .optionalAttr("activation_gamma")
        .kernel(ctx -> fusedGemm(ctx, Activation.ofOrtGemm(ctx)));
    r.op(DOMAIN, "FusedMatMul", 1).inputs(2, 3).attr("activation", "")
        .attr("activation_params", NO_PARAMS)
        .shape(ctx -> standard("MatMul").shapeFn().infer(ctx))
        .kernel(ConvoyFused::fusedMatMul);
    skipLayerNorm(r.op(DOMAIN, "SkipLayerNormalization", 1));
    skipLayerNorm(r.op(MICROSOFT, "SkipLayerNormalization", 1));
    r.op(DOMAIN, "Gelu", 1).shape(ShapeFns.sameAsInput(0))
        .kernel(ConvoyFused::gelu);
    layerNorm(r.op(DOMAIN, "LayerNormalization", 1)).attr("activation", "")
        .attr("activation_params", NO_PARAMS).kernel(ConvoyFused::activatedLayerNorm);
    // ONNX Runtime registers its former contrib LayerNormalization in the ONNX domain for opsets
    // 1 to 16; --onnx-ops ort fusions below opset 17 write it there, as ORT's own fusion does.
    layerNorm(r.op("", "LayerNormalization", 1))
        .kernel(ctx -> standard("LayerNormalization").kernel().compute(ctx));
    // ONNX Runtime's QuickGelu, x * Sigmoid(alpha * x): the SiLU/Swish of --onnx-ops ort.
    r.op(MICROSOFT, "QuickGelu", 1).attr("alpha", 1.702f).shape(ShapeFns.sameAsInput(0))
        .kernel(ctx -> {
          double a = ctx.attrFloat("alpha");
          return Kernels.one(Kernels.mapFloat(ctx.tensor(0),
              x -> x * (double) (float) (1 / (1 + Math.exp(-a * x)))));
        });
    r.op(MICROSOFT, "BiasGelu", 1).inputs(2).shape(ShapeFns.sameAsInput(0))
        .kernel(ConvoyFused::biasGelu);
    // ONNX Runtime's FastGelu(X, bias?): the tanh approximation of GELU (of X + bias).
    r.op(MICROSOFT, "FastGelu", 1).inputs(1, 2).shape(ShapeFns.sameAsInput(0))
        .kernel(ctx -> {
          NdArray x = ctx.tensor(0);
          NdArray bias = ctx.optionalTensor(1);
          NdArray in = bias == null ? x : Kernels.zip(x, bias, Double::sum, null);
          double c = Math.sqrt(2 / Math.PI);
          return Kernels.one(Kernels.mapFloat(in,
              v -> 0.5 * v * (1 + Math.tanh(c * (v + 0.044715 * v * v * v)))));
        });
  }

  private static OpDef.Builder conv(OpDef.Builder b) {
    return b.inputs(2, 3).attr("auto_pad", "NOTSET").optionalAttr("dilations").attr("group", 1L)
        .optionalAttr("kernel_shape").optionalAttr("pads").optionalAttr("strides")
        .shape(ctx -> standard("Conv").shapeFn().infer(ctx));
  }

  private static OpDef.Builder gemm(OpDef.Builder b) {
    return b.inputs(2, 3).attr("alpha", 1.0f).attr("beta", 1.0f).attr("transA", 0L)
        .attr("transB", 0L).shape(ctx -> standard("Gemm").shapeFn().infer(ctx));
  }

  private static OpDef.Builder layerNorm(OpDef.Builder b) {
    return b.inputs(2, 3).outputs(1, 3).attr("axis", -1L).attr("epsilon", 1e-5f)
        .attr("stash_type", 1L).shape(ctx -> standard("LayerNormalization").shapeFn().infer(ctx));
  }

  /** GELU written straight into the output (float32); other element types mapped into a copy. */
  private static List<RuntimeValue> gelu(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    if (x.dtype() != DType.FLOAT) {
      return Kernels.one(Activation.gelu().apply(x));
    }
    NdArray y = ctx.output(0, DType.FLOAT, x.dims());
    ExpKernels.gelu((float[]) x.array(), x.offset(), (float[]) y.array(), y.offset(), x.size());
    return Kernels.one(y);
  }

  private static void skipLayerNorm(OpDef.Builder b) {
    b.inputs(3, 5).outputs(1, 4).attr("epsilon", 1e-12f)
        .shape(ConvoyFused::skipLayerNormShape).kernel(ConvoyFused::skipLayerNorm);
  }

  /** The newest standard entry of {@code op}, whose shape function and kernel a fused op reuses. */
  private static OpDef standard(String op) {
    return OpCatalog.standard().find("", op, Integer.MAX_VALUE);
  }

  // ---- kernels ----

  private static List<RuntimeValue> fusedConv(KernelContext ctx, Activation act) {
    return Kernels.one(Conv.conv(ctx, act));
  }

  /**
   * The standard LayerNormalization, then the activation on its normalized output (the mean and
   * inverse deviation outputs are the standard op's): a float32 output, this kernel's own, in
   * place while it is in cache.
   */
  private static List<RuntimeValue> activatedLayerNorm(KernelContext ctx) {
    List<RuntimeValue> out = new ArrayList<>(standard("LayerNormalization").kernel().compute(ctx));
    out.set(0, Activation.of(ctx).apply((NdArray) out.get(0)));
    return out;
  }

  private static List<RuntimeValue> fusedGemm(KernelContext ctx, Activation act) {
    return Kernels.one(act.apply((NdArray) standard("Gemm").kernel().compute(ctx).get(0)));
  }

  private static List<RuntimeValue> fusedMatMul(KernelContext ctx) {
    Activation act = Activation.of(ctx);
    NdArray bias = ctx.optionalTensor(2);
    NdArray y = (NdArray) standard("MatMul").kernel().compute(ctx).get(0);
    if (bias == null) {
      return Kernels.one(act.apply(y));
    }
    if (bias.dtype() != y.dtype() || bias.rank() != 1 || y.rank() == 0
        || bias.dim(0) != y.dim(y.rank() - 1)) {
      throw ctx.error("bias " + bias.describe() + " must be a vector as long as the last axis"
          + " of the product " + y.describe());
    }
    if (y.dtype() != DType.FLOAT) {
      return Kernels.one(act.apply(Kernels.zip(y, bias, Double::sum, null)));
    }
    // The product is this kernel's own output (maybe a view at its place in an arena, elements
    // o[offset, end)): each row gets the bias and then the activation in place while in cache.
    float[] o = (float[]) y.array();
    int end = y.offset() + y.size();
    float[] b = bias.floats();
    for (int off = y.offset(); off < end; off += b.length) {
      for (int j = 0; j < b.length; j++) {
        o[off + j] += b[j];
      }
      act.applyTo(o, off, off + b.length);
    }
    return Kernels.one(y);
  }

  private static List<RuntimeValue> biasGelu(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    NdArray bias = ctx.tensor(1);
    if (bias.dtype() != x.dtype() || bias.rank() != 1 || x.rank() == 0
        || bias.dim(0) != x.dim(x.rank() - 1)) {
      throw ctx.error("bias " + bias.describe() + " must be a vector as long as the last axis of "
          + x.describe());
    }
    return Kernels.one(Activation.gelu().apply(Kernels.zip(x, bias, Double::sum, null)));
  }

  private static List<ValueType> skipLayerNormShape(InferenceContext ctx) {
    DType t = ctx.dtype(0);
    if (t == null) {
      return null;
    }
    Shape x = ctx.shape(0);
    List<ValueType> out = new ArrayList<>();
    out.add(new ValueType.TensorType(t, x));
    Shape stat = Shape.unknownRank();
    if (x.hasRank() && x.rank() > 0) {
      List<Dim> dims = new ArrayList<>(x.dims());
      dims.set(dims.size() - 1, Dim.of(1));
      stat = Shape.of(dims);
    }
    for (int k = 1; k < ctx.outputCount(); k++) {
      out.add(new ValueType.TensorType(k == 3 ? t : DType.FLOAT, k == 3 ? x : stat));
    }
    return out;
  }

  /**
   * {@code LayerNorm(X + skip + bias) * gamma + beta} over the last axis, row by row in double
   * (as the standard LayerNormalization kernel computes) over the float32 sum, which is what the
   * unfused Add writes: {@code (X + skip) + bias}. Operands are read where they lie and outputs
   * written into the kernel's output buffers.
   */
  private static List<RuntimeValue> skipLayerNorm(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    NdArray skip = ctx.tensor(1);
    NdArray gamma = ctx.tensor(2);
    NdArray beta = ctx.optionalTensor(3);
    NdArray bias = ctx.optionalTensor(4);
    DType t = x.dtype();
    if (t != DType.FLOAT) {
      throw ctx.unsupportedType(t);
    }
    long[] d = x.dims();
    if (d.length == 0 || skip.dtype() != t || !java.util.Arrays.equals(skip.dims(), d)) {
      throw ctx.error("skip " + skip.describe() + " must have the shape of the input "
          + x.describe());
    }
    int len = (int) d[d.length - 1];
    for (NdArray v : new NdArray[] {gamma, beta, bias}) {
      if (v != null && (v.dtype() != t || v.size() != len || v.rank() != 1)) {
        throw ctx.error(v.describe() + " must be a vector of " + len + " " + t.textName());
      }
    }
    float[] xs = (float[]) x.array();
    int x0 = x.offset();
    float[] ss = (float[]) skip.array();
    int s0 = skip.offset();
    float[] bi = bias == null ? null : bias.toFloats();
    double[] g = gamma.toDoubles();
    double[] be = beta == null ? null : beta.toDoubles();
    double eps = ctx.attrFloat("epsilon");
    int size = x.size();
    int rows = len == 0 ? 0 : size / len;
    // The float32 sum goes straight into the output (into output 3 when the node has it), and
    // is normalized there in place: no temporaries beyond the statistics.
    NdArray y = ctx.output(0, t, d);
    NdArray sum = ctx.hasOutput(3) ? ctx.output(3, t, d) : y;
    float[] sv = (float[]) sum.array();
    int sum0 = sum.offset();
    ctx.parallel().forRange(rows, 2L * len, (from, to) -> {
      for (int row = from; row < to; row++) {
        int off = row * len;
        if (bi == null) {
          for (int i = 0; i < len; i++) {
            sv[sum0 + off + i] = xs[x0 + off + i] + ss[s0 + off + i];
          }
        } else {
          for (int i = 0; i < len; i++) {
            sv[sum0 + off + i] = xs[x0 + off + i] + ss[s0 + off + i] + bi[i];
          }
        }
      }
    });
    double[] mean = new double[rows];
    double[] inv = new double[rows];
    Normalization.layerNormRows(sv, sum0, (float[]) y.array(), y.offset(), rows, len, g, be, eps,
        mean, inv, ctx.parallel());
    long[] statDims = d.clone();
    statDims[d.length - 1] = 1;
    List<RuntimeValue> out = new ArrayList<>();
    out.add(y);
    out.add(ctx.hasOutput(1) ? NdArray.fromDoubles(DType.FLOAT, statDims, mean) : null);
    out.add(ctx.hasOutput(2) ? NdArray.fromDoubles(DType.FLOAT, statDims, inv) : null);
    out.add(ctx.hasOutput(3) ? sum : null);
    return out.subList(0, ctx.outputCount());
  }
}
