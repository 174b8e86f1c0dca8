package dev.convoy.transforms.convert.onnx;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.HalfFloats;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.memory.MemoryPlanCodec;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.ShapeFns;
import dev.convoy.ir.ops.runtime.Winograd;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Rewrites every op of Convoy's own {@code convoy} domain into the standard ONNX ops it fuses, at
 * the graph's default-domain opset, so that a graph optimized for the {@code cvy} target still
 * exports as a model any ONNX runtime loads (a {@code .cvy} never traps a user). One expansion
 * per op, the inverse of its fusion: {@code FusedConv} is Conv (then an Add of its residual Z),
 * the activation (then a Mul by {@code post_scale} and an Add of {@code post_shift}), {@code
 * FusedGemm} Gemm then the activation, {@code FusedMatMul} MatMul, Add and the activation, {@code
 * SkipLayerNormalization} the Adds then LayerNormalization (opset 17 and later) or its
 * ReduceMean/Sub/Sqrt/Div chain ({@code LayerNormalization} the same, then its activation),
 * {@code Attention} MatMul, Mul, Add, Softmax and MatMul (with
 * {@code num_heads}, between a Reshape and Transpose per input and the inverse after), {@code
 * MatMulIntegerToFloat} MatMulInteger, Cast, the scale Muls and the bias Add ({@code
 * DynamicQuantizeMatMul} with DynamicQuantizeLinear first). Activations newer than the opset
 * take their older spelling (HardSwish as {@code x * HardSigmoid(x, 1/6, 1/2)} below 14, Gelu as
 * its erf chain below 20, Clip bounds as attributes below 11); Swish is {@code Mul(x,
 * Sigmoid(x))}; {@code ChainedMaxPool} is the MaxPool of its second input, {@code ConcatMaxPool} the
 * MaxPool of the Concat of its inputs along the channels; {@code SeparableConv} its expansion,
 * depthwise and projection Convs with their activations. The channels-last
 * ops ({@code NhwcConv}, {@code NhwcMaxPool}...) become their standard op between Transposes
 * ({@code [N, H, W, C]} to {@code [N, C, H, W]} and back; NhwcConv's HWIO weight is
 * transposed back to OIHW by a Transpose that ONNX runtimes fold). {@code WinogradConv} is a
 * 3x3 Conv (then FusedConv's epilogue) whose weight is recovered from the transformed filters.
 */
public final class ExpandConvoyOps {
  private static final long[] NHWC_TO_NCHW = {0, 3, 1, 2};
  private static final long[] NCHW_TO_NHWC = {0, 2, 3, 1};
  private static final long[] HWIO_TO_OIHW = {3, 2, 0, 1};
  private static final long[] CHWM_TO_CMHW = {0, 3, 1, 2};

  private ExpandConvoyOps() {}

  /** {@code g} itself when it holds no {@code convoy} op, else an expanded copy. */
  public static Graph expanded(Graph g) {
    if (!holdsConvoyOps(g)) {
      return g;
    }
    Graph copy = g.copy();
    List<Node> fused = new ArrayList<>();
    copy.forEachNode(n -> {
      if (n.domain().equals(OpCatalog.CONVOY_DOMAIN)) {
        fused.add(n);
      }
    });
    long opset = copy.opsetVersion("");
    for (Node n : fused) {
      new Expansion(n, opset).run();
    }
    copy.opsets().remove(OpCatalog.CONVOY_DOMAIN);
    // A stored memory plan names the values of the fused graph, not of its expansion.
    copy.metadata().remove(MemoryPlanCodec.KEY);
    return copy;
  }

  /** Whether any graph of {@code g}'s tree holds an op of the {@code convoy} domain. */
  public static boolean holdsConvoyOps(Graph g) {
    boolean[] found = {false};
    g.forEachNode(n -> found[0] |= n.domain().equals(OpCatalog.CONVOY_DOMAIN));
    return found[0];
  }

  /** The expansion of one node, placed right before it; then the node is removed. */
  private static final class Expansion {
    private final Node node;
    private final Graph g;
    private final long opset;
    private final DType dtype;

    Expansion(Node node, long opset) {
      this.node = node;
      this.g = node.graph();
      this.opset = opset;
      ValueType t = node.output(0).type();
      this.dtype = t instanceof ValueType.TensorType tt ? tt.dtype() : DType.FLOAT;
    }

    void run() {
      List<Value> results = switch (node.opType()) {
        case "FusedConv" -> {
          Value y = emit("Conv", inputs(0, 3), without("activation", "activation_params",
              "post_scale", "post_shift"));
          yield List.of(activation(present(3) ? emit("Add", List.of(y, node.input(3)), Map.of())
              : y));
        }
        case "WinogradConv" -> {
          List<Value> in = new ArrayList<>(inputs(0, 3));
          in.set(1, winogradFilters());
          Map<String, Attribute> attrs = new LinkedHashMap<>();
          attrs.put("kernel_shape", new Attribute.IntsAttr(new long[] {3, 3}));
          attrs.put("pads", node.attributes().get("pads"));
          Value y = emit("Conv", in, attrs);
          yield List.of(activation(present(3) ? emit("Add", List.of(y, node.input(3)), Map.of())
              : y));
        }
        case "FusedGemm" -> List.of(activation(emit("Gemm", inputs(0, 3), without("activation",
            "activation_params"))));
        case "FusedMatMul" -> {
          Value y = emit("MatMul", inputs(0, 2), Map.of());
          if (present(2)) {
            y = emit("Add", List.of(y, node.input(2)), Map.of());
          }
          yield List.of(activation(y));
        }
        case "SkipLayerNormalization" -> skipLayerNorm();
        case "Attention" -> List.of(attention());
        case "NhwcConv" -> List.of(toNhwc(activation(emit("Conv", nhwcConvInputs(HWIO_TO_OIHW),
            without("activation", "activation_params", "post_scale", "post_shift")))));
        case "NhwcConvTranspose" -> List.of(toNhwc(emit("ConvTranspose",
            nhwcConvInputs(CHWM_TO_CMHW), node.attributes())));
        case "NhwcMaxPool", "NhwcAveragePool", "NhwcGlobalAveragePool", "NhwcGlobalMaxPool",
            "NhwcLRN", "NhwcDepthToSpace", "NhwcSpaceToDepth" -> List.of(toNhwc(emit(node.opType().substring(4),
                List.of(toNchw(node.input(0))), node.attributes())));
        case "NhwcBatchNormalization", "NhwcInstanceNormalization", "NhwcGridSample" -> {
          List<Value> in = new ArrayList<>(node.inputs());
          in.set(0, toNchw(node.input(0)));
          yield List.of(toNhwc(emit(node.opType().substring(4), in, node.attributes())));
        }
        case "ChannelShuffle" -> {
          ValueType.TensorType t = node.input(0).tensorType();
          yield List.of(channelShuffle(node.input(0), t == null ? null : t.shape()));
        }
        case "ConcatShuffleSplit" -> concatShuffleSplit();
        case "SeparableConv" -> List.of(separableConv());
        case "ChainedMaxPool" -> {
          // The pool of X itself (input 1) with the whole window; input 0 only sped it up.
          long[] k = node.intsAttr("kernel_shape");
          long[] half = {(k[0] - 1) / 2, (k[1] - 1) / 2, (k[0] - 1) / 2, (k[1] - 1) / 2};
          yield List.of(emit("MaxPool", List.of(node.input(1)), Map.of(
              "kernel_shape", new Attribute.IntsAttr(k), "pads", new Attribute.IntsAttr(half))));
        }
        case "ConcatMaxPool" -> List.of(emit("MaxPool", List.of(emit("Concat", node.inputs(),
            Map.of("axis", new Attribute.IntAttr(1)))), node.attributes()));
        case "Gelu" -> List.of(opset >= 20 ? emit("Gelu", List.of(node.input(0)), Map.of())
            : geluChain(node.input(0)));
        case "LayerNormalization" -> {
          List<Value> r = layerNorm(node.input(0), node.input(1),
              present(2) ? node.input(2) : null, node.intAttr("axis", -1),
              node.floatAttr("epsilon", 1e-5f));
          r.set(0, activation(r.get(0)));
          yield r;
        }
        case "MatMulIntegerToFloat" -> List.of(integerToFloat(node.input(0), node.input(2),
            present(4) ? node.input(4) : null, 3, 5, 6));
        case "DynamicQuantizeMatMul" -> {
          List<Value> q = emitN("DynamicQuantizeLinear", List.of(node.input(0)), Map.of(), 3);
          yield List.of(integerToFloat(q.get(0), q.get(1), q.get(2), 2, 3, 4));
        }
        case "QGemm" -> List.of(qGemm());
        case "QLinearGlobalAveragePool", "QdqGlobalAveragePool" -> {
          Value x = emit("DequantizeLinear", inputs(0, 3), Map.of());
          Value mean = emit("GlobalAveragePool", List.of(x), Map.of());
          yield List.of(emit("QuantizeLinear", List.of(mean, node.input(3), node.input(4)),
              Map.of()));
        }
        default -> throw new ConvoyException(
            node + ": op " + node.opType() + " of domain convoy has no ONNX expansion");
      };
      for (int k = 0; k < node.outputCount(); k++) {
        Value out = node.output(k);
        if (out == null) {
          continue;
        }
        Value repl = results.get(k);
        String name = out.name();
        out.rename(g.uniqueName(name + "__fused"));
        repl.rename(name);
        repl.setType(out.type());
        out.replaceAllUsesWith(repl);
        for (int i = 0; i < g.outputs().size(); i++) {
          if (g.outputs().get(i) == out) {
            g.setOutput(i, repl);
          }
        }
      }
      g.removeNode(node);
    }

    /**
     * {@code MatMulInteger(a, B, aZero, B's zero point)}, Cast to float, times {@code aScale *
     * b_scale}, plus the bias: B is input 1, the others at the given input indices.
     */
    private Value integerToFloat(Value a, Value aScale, Value aZero, int bScale, int bZero,
        int bias) {
      List<Value> in = new ArrayList<>(Arrays.asList(a, node.input(1), aZero,
          present(bZero) ? node.input(bZero) : null));
      while (in.get(in.size() - 1) == null) {
        in.remove(in.size() - 1);
      }
      Value acc = emit("MatMulInteger", in, Map.of());
      Value f = emit("Cast", List.of(acc),
          Map.of("to", new Attribute.IntAttr(DType.FLOAT.onnxCode())));
      Value y = emit("Mul", List.of(f, emit("Mul", List.of(aScale, node.input(bScale)),
          Map.of())), Map.of());
      return present(bias) ? emit("Add", List.of(y, node.input(bias)), Map.of()) : y;
    }

    /**
     * DequantizeLinear of A, B (per column on B's column axis) and the int32 bias (at scale
     * {@code a_scale * b_scale * alpha}), Gemm, then QuantizeLinear when QGemm has {@code
     * y_scale}.
     */
    private Value qGemm() {
      boolean transB = node.intAttr("transB", 0) != 0;
      Value a = emit("DequantizeLinear", inputs(0, 3), Map.of());
      Value b = emit("DequantizeLinear", inputs(3, 6),
          Map.of("axis", new Attribute.IntAttr(transB ? 0 : 1)));
      List<Value> in = new ArrayList<>(List.of(a, b));
      float alpha = node.floatAttr("alpha", 1f);
      if (present(6)) {
        // QGemm scales the bias with the product, alpha included: (AB + C) * alpha.
        Value scale = emit("Mul", List.of(node.input(1), node.input(4)), Map.of());
        if (alpha != 1f) {
          scale = emit("Mul", List.of(scale, g.addInitializer(g.uniqueName(
              node.output(0).name() + "_alpha"), Tensor.ofFloats(new long[0], alpha))), Map.of());
        }
        in.add(emit("DequantizeLinear", List.of(node.input(6), scale),
            Map.of("axis", new Attribute.IntAttr(0))));
      }
      Value y = emit("Gemm", in, Map.of("alpha", new Attribute.FloatAttr(alpha),
          "transB", new Attribute.IntAttr(transB ? 1 : 0)));
      if (!present(7)) {
        return y;
      }
      List<Value> q = new ArrayList<>(List.of(y));
      q.addAll(inputs(7, 9));
      return emit("QuantizeLinear", q, Map.of());
    }

    /**
     * WinogradConv's 3x3 weight {@code [M, C, 3, 3]} recovered from its transformed filters
     * {@code [16, M, C]} (in double; the corners exact), as a new initializer.
     */
    private Value winogradFilters() {
      Tensor u = node.input(1).constant();
      if (u == null || u.dtype() != DType.FLOAT || u.rank() != 3) {
        throw new ConvoyException(node + ": the transformed filters " + node.input(1).name()
            + " are not a float32 [16, M, C] constant, so no 3x3 weight can be recovered");
      }
      int m = (int) u.dims()[1];
      int c = (int) u.dims()[2];
      return g.addInitializer(g.uniqueName(node.output(0).name() + "_weight"), Tensor.ofFloats(
          new long[] {m, c, 3, 3}, Winograd.recoverFilters(u.toFloatArray(), m, c)));
    }

    /**
     * SeparableConv as its convs: the 1x1 expansion (where input 1 is present) and its
     * activation, the depthwise Conv ({@code group} = its weight's output channels) and its
     * activation, the 1x1 projection, the Add of Z and the activation.
     */
    private Value separableConv() {
      Value x = node.input(0);
      if (present(1)) {
        x = activationOnly(emit("Conv", present(2) ? List.of(x, node.input(1), node.input(2))
            : List.of(x, node.input(1)), Map.of()), "expand_activation");
      }
      Map<String, Attribute> dw = new LinkedHashMap<>(without("expand_activation",
          "expand_activation_params", "depthwise_activation", "depthwise_activation_params",
          "activation", "activation_params"));
      ValueType.TensorType wt = node.input(3).tensorType();
      dw.put("group", new Attribute.IntAttr(wt.shape().dim(0).size()));
      x = activationOnly(emit("Conv", present(4) ? List.of(x, node.input(3), node.input(4))
          : List.of(x, node.input(3)), dw), "depthwise_activation");
      Value y = emit("Conv", present(6) ? List.of(x, node.input(5), node.input(6))
          : List.of(x, node.input(5)), Map.of());
      return activation(present(7) ? emit("Add", List.of(y, node.input(7)), Map.of()) : y);
    }

    private boolean present(int i) {
      return i < node.inputCount() && node.input(i) != null;
    }

    private List<Value> inputs(int from, int to) {
      List<Value> in = new ArrayList<>(node.inputs().subList(from, Math.min(to,
          node.inputCount())));
      while (!in.isEmpty() && in.get(in.size() - 1) == null) {
        in.remove(in.size() - 1);
      }
      return in;
    }

    private Map<String, Attribute> without(String... names) {
      Map<String, Attribute> a = new LinkedHashMap<>(node.attributes());
      Arrays.stream(names).forEach(a::remove);
      return a;
    }

    /** A new standard node before the fused one; its (first) output. */
    private Value emit(String op, List<Value> in, Map<String, Attribute> attrs) {
      return emitN(op, in, attrs, 1).get(0);
    }

    private List<Value> emitN(String op, List<Value> in, Map<String, Attribute> attrs, int outs) {
      List<String> names = new ArrayList<>();
      for (int i = 0; i < outs; i++) {
        String name = g.uniqueName(node.output(0).name() + "_" + op);
        for (int k = 2; names.contains(name); k++) {
          name = g.uniqueName(node.output(0).name() + "_" + op + k);
        }
        names.add(name);
      }
      Node n = g.addNodeBefore(node, "", op, in, names, attrs);
      n.setName(node.name().isEmpty() ? "" : node.name() + "_" + op);
      return n.outputs();
    }

    private Value scalar(double v, String hint) {
      Tensor t = switch (dtype) {
        case FLOAT -> Tensor.ofFloats(new long[0], (float) v);
        case DOUBLE -> Tensor.ofDoubles(new long[0], v);
        case FLOAT16 -> {
          // A float16 fused op (a LayerNormalization with its activation, control-31575) keeps
          // its constants in its own type once expanded; little-endian, as Tensor stores.
          short h = HalfFloats.fromFloat((float) v);
          yield Tensor.ofBytes(DType.FLOAT16, new long[0], new byte[] {(byte) h, (byte) (h >> 8)});
        }
        default -> throw new ConvoyException(node + ": cannot expand an activation of "
            + dtype.textName() + " into standard ops");
      };
      return g.addInitializer(g.uniqueName(node.output(0).name() + "_" + hint), t);
    }

    /** The activation, then the Mul by {@code post_scale} and the Add of {@code post_shift}. */
    private Value activation(Value x) {
      Value y = activationOnly(x);
      if (node.hasAttribute("post_scale")) {
        y = emit("Mul", List.of(y, scalar(node.floatAttr("post_scale", 1f), "post_scale")),
            Map.of());
      }
      if (node.hasAttribute("post_shift")) {
        y = emit("Add", List.of(y, scalar(node.floatAttr("post_shift", -0f), "post_shift")),
            Map.of());
      }
      return y;
    }

    private Value activationOnly(Value x) {
      return activationOnly(x, "activation");
    }

    /** The activation named by attribute {@code attr}, with {@code attr + "_params"}. */
    private Value activationOnly(Value x, String attr) {
      String act = node.stringAttr(attr, "");
      Attribute pa = node.attributes().get(attr + "_params");
      float[] p = pa instanceof Attribute.FloatsAttr f ? f.values() : new float[0];
      return switch (act) {
        case "" -> x;
        case "Relu", "Sigmoid", "Tanh" -> emit(act, List.of(x), Map.of());
        case "LeakyRelu" -> emit(act, List.of(x), p.length == 0 ? Map.of()
            : Map.of("alpha", new Attribute.FloatAttr(p[0])));
        case "HardSigmoid" -> emit(act, List.of(x), p.length == 0 ? Map.of()
            : Map.of("alpha", new Attribute.FloatAttr(p[0]), "beta", new Attribute.FloatAttr(p[1])));
        case "Clip" -> opset >= 11
            ? emit("Clip", List.of(x, scalar(p[0], "min"), scalar(p[1], "max")), Map.of())
            : emit("Clip", List.of(x), Map.of("min", new Attribute.FloatAttr(p[0]),
                "max", new Attribute.FloatAttr(p[1])));
        case "HardSwish" -> opset >= 14 ? emit("HardSwish", List.of(x), Map.of())
            : emit("Mul", List.of(x, emit("HardSigmoid", List.of(x), Map.of(
                "alpha", new Attribute.FloatAttr(1f / 6), "beta", new Attribute.FloatAttr(0.5f)))),
                Map.of());
        case "Gelu" -> opset >= 20 ? emit("Gelu", List.of(x), Map.of()) : geluChain(x);
        case "Swish" -> emit("Mul", List.of(x, emit("Sigmoid", List.of(x), Map.of())), Map.of());
        default -> throw new ConvoyException(
            node + ": activation '" + act + "' has no ONNX expansion");
      };
    }

    /** {@code x} from {@code [N, H, W, C]} to {@code [N, C, H, W]}. */
    private Value toNchw(Value x) {
      return emit("Transpose", List.of(x), Map.of("perm", new Attribute.IntsAttr(NHWC_TO_NCHW)));
    }

    /** {@code y} from {@code [N, C, H, W]} to {@code [N, H, W, C]}. */
    private Value toNhwc(Value y) {
      return emit("Transpose", List.of(y), Map.of("perm", new Attribute.IntsAttr(NCHW_TO_NHWC)));
    }

    /** An NHWC convolution's inputs as the standard op reads them: X and the weight back. */
    private List<Value> nhwcConvInputs(long[] weightBack) {
      List<Value> in = new ArrayList<>(inputs(0, 3));
      in.set(0, toNchw(node.input(0)));
      in.set(1, emit("Transpose", List.of(node.input(1)),
          Map.of("perm", new Attribute.IntsAttr(weightBack))));
      return in;
    }

    /**
     * ChannelShuffle as exporters write it: Reshape the axis to {@code [g, C/g]}, swap the two,
     * Reshape back. Dims before the axis may be unknown (a Reshape 0 copies them in place); the
     * axis and the dims after it must be static.
     */
    /**
     * The channel shuffle of {@code x} (of {@code shape}) along the node's {@code axis} in its
     * {@code group}s: Reshape, Transpose, Reshape.
     */
    private Value channelShuffle(Value x, Shape shape) {
      int axis = (int) node.intAttr("axis", 0);
      long group = node.intAttr("group", 1);
      if (shape == null || !shape.hasRank()) {
        throw new ConvoyException(node + ": " + node.opType()
            + " of unknown rank cannot be expanded");
      }
      int rank = shape.rank();
      long[] split = new long[rank + 1];
      long[] merged = new long[rank];
      for (int k = 0; k < rank; k++) {
        var d = shape.dim(k);
        if (!d.isStatic() && k >= axis) {
          throw new ConvoyException(node + ": " + node.opType() + " with dims of unknown size"
              + " from its axis " + axis + " on cannot be expanded");
        }
        long size = d.isStatic() ? d.size() : 0;
        merged[k] = k < axis ? 0 : size;
        split[k < axis ? k : k + 1] = k < axis ? 0 : size;
      }
      split[axis] = group;
      split[axis + 1] = merged[axis] / group;
      long[] perm = new long[rank + 1];
      for (int k = 0; k <= rank; k++) {
        perm[k] = k == axis ? axis + 1 : k == axis + 1 ? axis : k;
      }
      Value y = emit("Reshape", List.of(x, longs(split, "groups")), Map.of());
      y = emit("Transpose", List.of(y), Map.of("perm", new Attribute.IntsAttr(perm)));
      return emit("Reshape", List.of(y, longs(merged, "shape")), Map.of());
    }

    /**
     * Concat (of two or more inputs) along the axis, the channel shuffle, and a Split into as many
     * equal parts as the node has outputs (the sizes as an attribute below opset 13).
     */
    private List<Value> concatShuffleSplit() {
      int axis = (int) node.intAttr("axis", 0);
      Value x = node.inputCount() == 1 ? node.input(0) : emit("Concat", node.inputs(),
          Map.of("axis", new Attribute.IntAttr(axis)));
      ValueType.TensorType part = node.output(0).tensorType();
      int m = node.outputCount();
      Shape whole = null;
      if (part != null && part.shape().hasRank() && part.shape().dim(axis).isStatic()) {
        List<Dim> dims = new ArrayList<>(part.shape().dims());
        dims.set(axis, Dim.of(dims.get(axis).size() * m));
        whole = Shape.of(dims);
      }
      Value shuffled = channelShuffle(x, whole);
      if (m == 1) {
        return List.of(shuffled);
      }
      long[] sizes = new long[m];
      Arrays.fill(sizes, part.shape().dim(axis).size());
      Map<String, Attribute> attrs = new LinkedHashMap<>();
      attrs.put("axis", new Attribute.IntAttr(axis));
      List<Value> in = new ArrayList<>(List.of(shuffled));
      if (opset >= 13) {
        in.add(longs(sizes, "split"));
      } else {
        attrs.put("split", new Attribute.IntsAttr(sizes));
      }
      return emitN("Split", in, attrs, m);
    }

    private Value longs(long[] v, String hint) {
      return g.addInitializer(g.uniqueName(node.output(0).name() + "_" + hint),
          Tensor.ofLongs(new long[] {v.length}, v));
    }

    /** {@code 0.5 * (x * (1 + erf(x / sqrt 2)))}, as exporters write GELU before opset 20. */
    private Value geluChain(Value x) {
      Value e = emit("Erf", List.of(emit("Div", List.of(x, scalar(Math.sqrt(2), "sqrt2")),
          Map.of())), Map.of());
      Value m = emit("Mul", List.of(x, emit("Add", List.of(e, scalar(1, "one")), Map.of())),
          Map.of());
      return emit("Mul", List.of(m, scalar(0.5, "half")), Map.of());
    }

    /**
     * {@code MatMul(Softmax(scale * MatMul(Q, Kt) + mask), V)}, the Softmax over the last axis of
     * the scores, whose rank is the output's (axis -1 from opset 11, when negative axes came).
     */
    private Value attention() {
      ValueType.TensorType t = node.output(0).tensorType();
      long heads = node.intAttr("num_heads", 0);
      int rank = t == null || !t.shape().hasRank() ? -1 : t.shape().rank() + (heads > 0 ? 1 : 0);
      if (rank < 0 && (heads > 0 || opset < 11)) {
        throw new ConvoyException(node + ": attention of unknown rank cannot be expanded"
            + (heads > 0 ? "" : " below opset 11"));
      }
      long axis = opset < 11 ? rank - 1 : -1;
      Value q = node.input(0);
      Value kt = node.input(1);
      Value v = node.input(2);
      if (heads > 0) {
        q = splitHeads(q, heads, false);
        kt = splitHeads(kt, heads, true);
        v = splitHeads(v, heads, false);
      }
      Value s = emit("Mul", List.of(emit("MatMul", List.of(q, kt), Map.of()),
          scalar(node.floatAttr("scale", 1f), "scale")), Map.of());
      if (present(3)) {
        s = emit("Add", List.of(s, node.input(3)), Map.of());
      }
      Value p = emit("Softmax", List.of(s), Map.of("axis", new Attribute.IntAttr(axis)));
      Value y = emit("MatMul", List.of(p, v), Map.of());
      if (heads == 0) {
        return y;
      }
      // [..., H, Sq, Dv] -> [..., Sq, H, Dv] -> [..., Sq, H*Dv]
      y = emit("Transpose", List.of(y), Map.of("perm",
          new Attribute.IntsAttr(ShapeFns.headPermutation(rank, false))));
      return emit("Reshape", List.of(y, longs(copyDims(rank - 1, -1), "merged")), Map.of());
    }

    /**
     * {@code x [..., S, H*D]} as heads: {@code [..., H, S, D]}, or the keys transposed {@code
     * [..., H, D, S]}.
     */
    private Value splitHeads(Value x, long heads, boolean keys) {
      int rank = node.output(0).tensorType().shape().rank() + 1;
      long[] target = copyDims(rank, -1);
      target[rank - 2] = heads;
      Value r = emit("Reshape", List.of(x, longs(target, "heads")), Map.of());
      return emit("Transpose", List.of(r), Map.of("perm",
          new Attribute.IntsAttr(ShapeFns.headPermutation(rank, keys))));
    }

    /** {@code n} zeros (Reshape's "copy this dim") and {@code last} at the end. */
    private static long[] copyDims(int n, long last) {
      long[] t = new long[n];
      t[n - 1] = last;
      return t;
    }

    /** Outputs: normalized, mean, inverse standard deviation, the sum. */
    private List<Value> skipLayerNorm() {
      Value s = emit("Add", List.of(node.input(0), node.input(1)), Map.of());
      if (present(4)) {
        s = emit("Add", List.of(s, node.input(4)), Map.of());
      }
      List<Value> r = layerNorm(s, node.input(2), present(3) ? node.input(3) : null, -1,
          node.floatAttr("epsilon", 1e-12f));
      r.add(s);
      return r;
    }

    /**
     * LayerNormalization of {@code x} over the axes from {@code axis}: the standard op from opset
     * 17, else its chain; outputs normalized, mean, inverse standard deviation.
     */
    private List<Value> layerNorm(Value x, Value gamma, Value beta, long axis, float eps) {
      if (opset >= 17) {
        List<Value> in = beta == null ? List.of(x, gamma) : List.of(x, gamma, beta);
        List<Value> r = new ArrayList<>(emitN("LayerNormalization", in, Map.of(
            "axis", new Attribute.IntAttr(axis), "epsilon", new Attribute.FloatAttr(eps)),
            Math.min(3, node.outputCount())));
        while (r.size() < 3) {
          r.add(null);
        }
        return r;
      }
      ValueType.TensorType t = node.input(0).tensorType();
      int rank = t != null && t.shape().hasRank() ? t.shape().rank() : -1;
      long first = axis < 0 ? axis + rank : axis;
      if (rank < 0 || first < 0 || first >= rank) {
        throw new ConvoyException(node + ": LayerNormalization over axis " + axis
            + " of an input of unknown rank cannot be expanded below opset 17");
      }
      long[] axes = new long[(int) (rank - first)];
      for (int i = 0; i < axes.length; i++) {
        axes[i] = first + i;
      }
      Map<String, Attribute> trailing = Map.of(
          "axes", new Attribute.IntsAttr(axes), "keepdims", new Attribute.IntAttr(1));
      Value mean = emit("ReduceMean", List.of(x), trailing);
      Value d = emit("Sub", List.of(x, mean), Map.of());
      Value var = emit("ReduceMean", List.of(emit("Mul", List.of(d, d), Map.of())), trailing);
      Value std = emit("Sqrt", List.of(emit("Add", List.of(var, scalar(eps, "eps")), Map.of())),
          Map.of());
      Value y = emit("Mul", List.of(emit("Div", List.of(d, std), Map.of()), gamma), Map.of());
      if (beta != null) {
        y = emit("Add", List.of(y, beta), Map.of());
      }
      Value inv = node.outputCount() > 2 && node.output(2) != null
          ? emit("Reciprocal", List.of(std), Map.of()) : null;
      return new ArrayList<>(Arrays.asList(y, mean, inv));
    }
  }
}
