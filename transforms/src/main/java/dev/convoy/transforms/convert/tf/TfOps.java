package dev.convoy.transforms.convert.tf;

import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.transforms.convert.ImportGraphBuilder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorShapeProto;

/**
 * TensorFlow ops as standard ONNX ops (opset 13), with TensorFlow's semantics: NHWC ops run as
 * their NCHW ONNX forms, SAME padding as explicit pads where sizes are static (else SAME_UPPER, which
 * is TensorFlow's split), filters permuted from HWIO, int32 shape tensors cast to int64 where
 * ONNX wants them.
 *
 * <p>Layout: a 4-D tensor may exist in TensorFlow's layout, in NCHW, or both; each form is made
 * from the other by one Transpose when first needed. An NHWC op yields only its NCHW form, and
 * per-channel and elementwise ops after it stay in NCHW, so a chain of NHWC ops costs one
 * Transpose in and one out, where layout matters again (a reshape, a reduction, an output).
 */
final class TfOps extends ImportGraphBuilder {
  static final Map<String, Long> OPSETS = Map.of("", 13L);

  /** The ops this importer reads. */
  static final List<String> SUPPORTED = List.copyOf(new TreeSet<>(List.of(
      "Placeholder", "Const", "Identity", "StopGradient", "NoOp", "Conv2D",
      "DepthwiseConv2dNative", "MatMul", "BiasAdd", "FusedBatchNorm", "FusedBatchNormV2",
      "FusedBatchNormV3", "Relu", "Relu6", "Elu", "Sigmoid", "Tanh", "Add", "AddV2", "Sub", "Mul",
      "RealDiv", "MaxPool", "MaxPoolV2", "AvgPool", "Mean", "Reshape", "ConcatV2", "Pad", "PadV2",
      "Transpose", "Squeeze", "ExpandDims", "StridedSlice", "Shape", "Pack", "Softmax")));

  private static final long[] TO_NCHW = {0, 3, 1, 2};
  private static final long[] TO_NHWC = {0, 2, 3, 1};

  /** Every converted tensor in TensorFlow's layout, by canonical name ({@code node:K}). */
  private final Map<String, Value> tensors = new HashMap<>();
  /** The NCHW forms of 4-D NHWC tensors, by canonical name. */
  private final Map<String, Value> nchwForms = new HashMap<>();

  /** {@code node} and {@code node:0} as {@code node:0}; a control input's {@code ^} dropped. */
  static String canonical(String ref) {
    String r = ref.startsWith("^") ? ref.substring(1) : ref;
    return r.contains(":") ? r : r + ":0";
  }

  /** The node a tensor reference names. */
  static String producer(String ref) {
    String r = ref.startsWith("^") ? ref.substring(1) : ref;
    int colon = r.indexOf(':');
    return colon < 0 ? r : r.substring(0, colon);
  }

  static boolean producesOutputs(String op) {
    return !op.equals("NoOp") && !op.equals("Const") && !op.equals("Placeholder");
  }

  /** The value of a tensor reference; {@code who} says who reads it, for the error. */
  Value tensor(String ref, String who) {
    String key = canonical(ref);
    Value v = tensors.get(key);
    if (v == null && nchwForms.containsKey(key)) {
      String node = producer(ref);
      v = node(node + "/to_nhwc", "Transpose", List.of(nchwForms.get(key)), attrs("perm", TO_NHWC),
          key.endsWith(":0") ? node : key);
      tensors.put(key, v);
    }
    if (v == null) {
      throw new InvalidModelException(who + " read '" + ref + "', which the graph does not define"
          + " (a node has fewer outputs, or an output Convoy does not compute)");
    }
    return v;
  }

  /** The NCHW form of a 4-D NHWC tensor, transposed from its TensorFlow form the first time. */
  private Value nchwOf(String ref, String consumer) {
    String key = canonical(ref);
    Value v = nchwForms.get(key);
    if (v == null) {
      v = node(consumer + "/to_nchw", "Transpose", List.of(tensor(ref, "node '" + consumer + "'")),
          attrs("perm", TO_NCHW), consumer + "/nchw_in");
      nchwForms.put(key, v);
    }
    return v;
  }

  private boolean hasNchwForm(String ref) {
    return nchwForms.containsKey(canonical(ref));
  }

  /** Records an op's result that exists only in NCHW; its TensorFlow form comes when needed. */
  private Value nchwResult(NodeDef n, Value y) {
    nchwForms.put(n.getName() + ":0", y);
    return null;
  }

  /** The data inputs (control inputs dropped) of the node being converted. */
  private List<String> refs;

  void convert(NodeDef n) {
    refs = n.getInputList().stream().filter(r -> !r.startsWith("^")).toList();
    String who = "node '" + n.getName() + "'";
    // Resolved when read: an input used only in NCHW never needs its TensorFlow form.
    List<Value> in = new java.util.AbstractList<>() {
      @Override
      public Value get(int k) {
        return tensor(refs.get(k), who);
      }

      @Override
      public int size() {
        return refs.size();
      }
    };
    String name = n.getName();
    Value out = switch (n.getOp()) {
      case "Placeholder" -> placeholder(n);
      case "Const" -> constant(name, TfTensors.fromProto(attr(n, "value").getTensor()));
      case "Identity", "StopGradient" -> {
        if (hasNchwForm(refs.get(0))) {
          nchwForms.put(name + ":0", nchwForms.get(canonical(refs.get(0))));
        }
        yield tensors.containsKey(canonical(refs.get(0))) ? in.get(0) : null;
      }
      case "NoOp" -> null;
      case "Conv2D" -> conv(n, in, false);
      case "DepthwiseConv2dNative" -> conv(n, in, true);
      case "MatMul" -> matMul(n, in);
      case "BiasAdd" -> biasAdd(n, in);
      case "FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3" -> batchNorm(n, in);
      case "Relu" -> unary(n, "Relu");
      case "Relu6" -> unary(n, "Clip");
      case "Elu" -> unary(n, "Elu");
      case "Sigmoid" -> unary(n, "Sigmoid");
      case "Tanh" -> unary(n, "Tanh");
      case "Add", "AddV2" -> binary(n, "Add", in);
      case "Sub" -> binary(n, "Sub", in);
      case "Mul" -> binary(n, "Mul", in);
      case "RealDiv" -> binary(n, "Div", in);
      case "MaxPool", "MaxPoolV2", "AvgPool" -> pool(n, in);
      case "Mean" -> node(name, "ReduceMean", List.of(in.get(0)), attrs("axes",
          constInts(n, in.get(1), "reduction_indices"), "keepdims", b(n, "keep_dims") ? 1L : 0L),
          name);
      case "Reshape" -> reshape(n, in);
      case "ConcatV2" -> node(name, "Concat", in.subList(0, in.size() - 1),
          attrs("axis", scalarInt(n, in.get(in.size() - 1), "axis")), name);
      case "Pad", "PadV2" -> pad(n, in);
      case "Transpose" -> node(name, "Transpose", List.of(in.get(0)),
          attrs("perm", constInts(n, in.get(1), "perm")), name);
      case "Squeeze" -> squeeze(n, in.get(0));
      case "ExpandDims" -> node(name, "Unsqueeze", List.of(in.get(0),
          int64s(name + "/axes", scalarInt(n, in.get(1), "dim"))), null, name);
      case "StridedSlice" -> stridedSlice(n, in);
      case "Shape" -> shape(n, in.get(0));
      case "Pack" -> pack(n, in);
      case "Softmax" -> node(name, "Softmax", in, attrs("axis", -1L), name);
      default -> throw new UnsupportedOpException("node '" + name + "' has op '" + n.getOp()
          + "', which the TensorFlow importer does not read (it reads "
          + String.join(", ", SUPPORTED) + ")");
    };
    if (out != null) {
      tensors.put(name + ":0", out);
    }
  }

  // ---- attributes and constants ----

  private static AttrValue attr(NodeDef n, String key) {
    AttrValue a = n.getAttrMap().get(key);
    if (a == null) {
      throw new InvalidModelException("node '" + n.getName() + "' (" + n.getOp()
          + ") lacks its '" + key + "' attribute");
    }
    return a;
  }

  private static String s(NodeDef n, String key, String dflt) {
    AttrValue a = n.getAttrMap().get(key);
    return a == null ? dflt : a.getS().toStringUtf8();
  }

  private static boolean b(NodeDef n, String key) {
    AttrValue a = n.getAttrMap().get(key);
    return a != null && a.getB();
  }

  private static long i(NodeDef n, String key) {
    AttrValue a = n.getAttrMap().get(key);
    return a == null ? 0 : a.getI();
  }

  private static long[] ints(NodeDef n, String key) {
    AttrValue a = n.getAttrMap().get(key);
    return a == null ? new long[0] : a.getList().getIList().stream().mapToLong(Long::longValue)
        .toArray();
  }

  private static boolean nchw(NodeDef n) {
    String f = s(n, "data_format", "NHWC");
    if (!f.equals("NHWC") && !f.equals("NCHW")) {
      throw new UnsupportedOpException("node '" + n.getName() + "' uses data_format " + f);
    }
    return f.equals("NCHW");
  }

  /** An input that must be a constant (after freezing), as longs. */
  private static long[] constInts(NodeDef n, Value v, String what) {
    Tensor t = v.constant();
    if (t == null || !t.dtype().isInteger()) {
      throw new UnsupportedOpException("node '" + n.getName() + "' (" + n.getOp() + ") has a "
          + what + " computed at run time; only a constant " + what + " is supported");
    }
    return t.toLongArray();
  }

  private static long scalarInt(NodeDef n, Value v, String what) {
    long[] x = constInts(n, v, what);
    if (x.length != 1) {
      throw new InvalidModelException("node '" + n.getName() + "': " + what + " has "
          + x.length + " values, not one");
    }
    return x[0];
  }

  private Value scalarLike(NodeDef n, Value like, double value) {
    DType d = dtypeOf(like);
    Tensor t = d == DType.DOUBLE ? Tensor.ofDoubles(new long[0], value)
        : Tensor.ofFloats(new long[0], (float) value);
    return constant(n.getName() + "/c", t);
  }

  private static DType dtypeOf(Value v) {
    return v.type() instanceof ValueType.TensorType t ? t.dtype() : DType.FLOAT;
  }

  private static long[] dims(Value v) {
    if (!(v.type() instanceof ValueType.TensorType t) || !t.shape().hasRank()) {
      return null;
    }
    long[] d = new long[t.shape().rank()];
    for (int k = 0; k < d.length; k++) {
      d[k] = t.shape().dim(k) instanceof Dim.Static s ? s.size() : -1;
    }
    return d;
  }

  private static int rank(NodeDef n, Value v) {
    long[] d = dims(v);
    if (d == null) {
      throw new UnsupportedOpException("node '" + n.getName() + "' (" + n.getOp()
          + ") needs the rank of its input '" + v.name() + "', which is unknown");
    }
    return d.length;
  }

  // ---- ops ----

  private Value placeholder(NodeDef n) {
    DType d = TfTensors.dtype(attr(n, "dtype").getType());
    if (d == null) {
      throw new UnsupportedOpException("placeholder '" + n.getName() + "' has type "
          + attr(n, "dtype").getType());
    }
    AttrValue shape = n.getAttrMap().get("shape");
    if (shape == null || shape.getShape().getUnknownRank()) {
      throw new UnsupportedOpException("placeholder '" + n.getName()
          + "' has no shape (unknown rank); Convoy needs at least the rank of each input");
    }
    List<Dim> ds = new ArrayList<>();
    List<TensorShapeProto.Dim> dimList = shape.getShape().getDimList();
    for (int k = 0; k < dimList.size(); k++) {
      long size = dimList.get(k).getSize();
      ds.add(size >= 0 ? new Dim.Static(size)
          : new Dim.Symbolic(k == 0 ? "N" : n.getName() + "_d" + k));
    }
    return graph.addInput(n.getName(), new ValueType.TensorType(d, Shape.of(ds)));
  }

  /** An elementwise op, in NCHW when its input has that form (Relu6 as Clip to [0, 6]). */
  private Value unary(NodeDef n, String op) {
    String name = n.getName();
    boolean inNchw = hasNchwForm(refs.get(0));
    Value x = inNchw ? nchwOf(refs.get(0), name) : tensor(refs.get(0), "node '" + name + "'");
    List<Value> args = op.equals("Clip")
        ? List.of(x, scalarLike(n, x, 0), scalarLike(n, x, 6)) : List.of(x);
    Value y = node(name, op, args, null, inNchw ? name + "/nchw" : name);
    return inNchw ? nchwResult(n, y) : y;
  }

  /**
   * A broadcasting binary op, in NCHW when both operands have that form or one does and the
   * other is a constant scalar or per-channel vector (then laid out as [C, 1, 1]).
   */
  private Value binary(NodeDef n, String op, List<Value> in) {
    String name = n.getName();
    boolean a = hasNchwForm(refs.get(0));
    boolean b = hasNchwForm(refs.get(1));
    if (a || b) {
      Value nchwOther = a && b ? nchwOf(refs.get(1), name)
          : channelConstant(name, a ? in.get(1) : in.get(0));
      if (nchwOther != null) {
        Value mine = nchwOf(refs.get(a ? 0 : 1), name);
        List<Value> args = a ? List.of(mine, nchwOther) : List.of(nchwOther, mine);
        return nchwResult(n, node(name, op, args, null, name + "/nchw"));
      }
    }
    return node(name, op, in, null, name);
  }

  /** A constant scalar as is, a constant [C] as [C, 1, 1]; otherwise {@code null}. */
  private Value channelConstant(String name, Value v) {
    Tensor t = v.constant();
    if (t == null || t.rank() > 1) {
      return null;
    }
    return t.rank() == 0 ? v
        : constant(name + "/channels", Tensor.of(t.dtype(), new long[] {t.dim(0), 1, 1}, t.data()));
  }

  /** Pads (ONNX order: begins then ends) for the spatial axes of an NCHW-ordered input. */
  private static long[] pads(NodeDef n, long[] nchwDims, long[] kernel, long[] stride,
      long[] dilation) {
    String padding = s(n, "padding", "VALID");
    int sp = kernel.length;
    long[] pads = new long[2 * sp];
    switch (padding) {
      case "VALID" -> { }
      case "SAME" -> {
        for (int k = 0; k < sp; k++) {
          long in = nchwDims == null ? -1 : nchwDims[2 + k];
          if (in < 0) {
            return null;
          }
          long out = (in + stride[k] - 1) / stride[k];
          long eff = (kernel[k] - 1) * dilation[k] + 1;
          long total = Math.max((out - 1) * stride[k] + eff - in, 0);
          pads[k] = total / 2;
          pads[k + sp] = total - total / 2;
        }
      }
      case "EXPLICIT" -> {
        long[] e = ints(n, "explicit_paddings");
        boolean nchw = nchw(n);
        for (int k = 0; k < sp; k++) {
          int axis = nchw ? 2 + k : 1 + k;
          pads[k] = e[2 * axis];
          pads[k + sp] = e[2 * axis + 1];
        }
      }
      default -> throw new UnsupportedOpException("node '" + n.getName() + "' uses padding "
          + padding);
    }
    return pads;
  }

  /** Spatial entries of a 4-entry NHWC or NCHW attribute list (strides, ksize, dilations). */
  private static long[] spatial(NodeDef n, long[] v, long dflt) {
    if (v.length == 0) {
      return new long[] {dflt, dflt};
    }
    if (v.length != 4) {
      throw new InvalidModelException("node '" + n.getName() + "' has " + v.length
          + " entries where 4 are needed: " + Arrays.toString(v));
    }
    return nchw(n) ? new long[] {v[2], v[3]} : new long[] {v[1], v[2]};
  }

  private static long[] permuted(long[] d, long[] perm) {
    if (d == null) {
      return null;
    }
    long[] out = new long[d.length];
    for (int k = 0; k < d.length; k++) {
      out[k] = d[(int) perm[k]];
    }
    return out;
  }

  private Value conv(NodeDef n, List<Value> in, boolean depthwise) {
    String name = n.getName();
    boolean nchw = nchw(n);
    Tensor filter = in.get(1).constant();
    if (filter == null) {
      throw new UnsupportedOpException("node '" + name + "' (" + n.getOp()
          + ") has a filter computed at run time; a frozen graph's filter is a constant");
    }
    long[] f = filter.dims();
    Value xin = nchw ? in.get(0) : nchwOf(refs.get(0), name);
    Tensor w;
    long group = 1;
    if (depthwise) {
      // [kh, kw, C, M] -> [C, M, kh, kw] -> [C*M, 1, kh, kw], output channel c*M + m.
      Tensor t = TfTensors.transpose(filter, 2, 3, 0, 1);
      w = Tensor.of(t.dtype(), new long[] {f[2] * f[3], 1, f[0], f[1]}, t.data());
      group = f[2];
    } else {
      w = TfTensors.transpose(filter, 3, 2, 0, 1);
      long channels = dims(xin)[1];
      if (channels > 0 && channels != f[2]) {
        group = channels / f[2];
      }
    }
    long[] stride = spatial(n, ints(n, "strides"), 1);
    long[] dilation = spatial(n, ints(n, "dilations"), 1);
    long[] kernel = {f[0], f[1]};
    long[] p = pads(n, dims(xin), kernel, stride, dilation);
    Map<String, Attribute> a = attrs("kernel_shape", kernel, "strides", stride,
        "dilations", dilation, "group", group);
    if (p == null) {
      a.put("auto_pad", Attribute.StringAttr.of("SAME_UPPER"));
    } else {
      a.put("pads", new Attribute.IntsAttr(p));
    }
    Value y = node(name, "Conv", List.of(xin, constant(name + "/weight", w)), a,
        nchw ? name : name + "/nchw");
    return nchw ? y : nchwResult(n, y);
  }

  private Value matMul(NodeDef n, List<Value> in) {
    String name = n.getName();
    Value a = transposed2d(n, in.get(0), b(n, "transpose_a"), "a");
    Value bb = transposed2d(n, in.get(1), b(n, "transpose_b"), "b");
    return node(name, "MatMul", List.of(a, bb), null, name);
  }

  private Value transposed2d(NodeDef n, Value v, boolean transpose, String which) {
    if (!transpose) {
      return v;
    }
    Tensor t = v.constant();
    return t != null && t.rank() == 2
        ? constant(n.getName() + "/" + which + "_t", TfTensors.transpose(t, 1, 0))
        : node(n.getName() + "/" + which + "_t", "Transpose", List.of(v),
            attrs("perm", new long[] {1, 0}), n.getName() + "/" + which + "_t");
  }

  private Value biasAdd(NodeDef n, List<Value> in) {
    String name = n.getName();
    Value bias = in.get(1);
    if (!nchw(n) && hasNchwForm(refs.get(0))) {
      Value x = nchwOf(refs.get(0), name);
      Value b3 = node(name + "/bias", "Reshape",
          List.of(bias, int64s(name + "/bias_shape", -1, 1, 1)), null, name + "/bias");
      return nchwResult(n, node(name, "Add", List.of(x, b3), null, name + "/nchw"));
    }
    if (nchw(n)) {
      int r = rank(n, in.get(0));
      long[] shape = new long[r - 1];
      Arrays.fill(shape, 1);
      shape[0] = -1;
      bias = node(name + "/bias", "Reshape", List.of(bias, int64s(name + "/bias_shape", shape)),
          null, name + "/bias");
    }
    return node(name, "Add", List.of(in.get(0), bias), null, name);
  }

  private Value batchNorm(NodeDef n, List<Value> in) {
    String name = n.getName();
    if (!n.getAttrMap().containsKey("is_training") || b(n, "is_training")) {
      throw new UnsupportedOpException("node '" + name + "' (" + n.getOp()
          + ") is in training mode (is_training true); an inference graph uses the moving"
          + " statistics");
    }
    float eps = n.getAttrMap().containsKey("epsilon") ? attr(n, "epsilon").getF() : 1e-4f;
    boolean nchw = nchw(n);
    Value x = nchw ? in.get(0) : nchwOf(refs.get(0), name);
    Value y = node(name, "BatchNormalization", List.of(x, in.get(1), in.get(2), in.get(3),
        in.get(4)), attrs("epsilon", eps), nchw ? name : name + "/nchw");
    return nchw ? y : nchwResult(n, y);
  }

  private Value pool(NodeDef n, List<Value> in) {
    String name = n.getName();
    boolean nchw = nchw(n);
    boolean v2 = n.getOp().equals("MaxPoolV2");
    long[] kernel = spatial(n, v2 ? constInts(n, in.get(1), "ksize") : ints(n, "ksize"), 1);
    long[] stride = spatial(n, v2 ? constInts(n, in.get(2), "strides") : ints(n, "strides"), 1);
    Value x = nchw ? in.get(0) : nchwOf(refs.get(0), name);
    long[] p = pads(n, dims(x), kernel, stride, new long[] {1, 1});
    boolean max = !n.getOp().equals("AvgPool");
    Map<String, Attribute> a = attrs("kernel_shape", kernel, "strides", stride);
    if (p == null) {
      a.put("auto_pad", Attribute.StringAttr.of("SAME_UPPER"));
    } else {
      a.put("pads", new Attribute.IntsAttr(p));
    }
    if (!max) {
      // TensorFlow averages over the window's elements inside the input only.
      a.put("count_include_pad", new Attribute.IntAttr(0));
    }
    Value y = node(name, max ? "MaxPool" : "AveragePool", List.of(x), a,
        nchw ? name : name + "/nchw");
    return nchw ? y : nchwResult(n, y);
  }

  private Value reshape(NodeDef n, List<Value> in) {
    String name = n.getName();
    Tensor shape = in.get(1).constant();
    Value target;
    if (shape != null) {
      long[] s = shape.toLongArray();
      for (long d : s) {
        if (d == 0) {
          // ONNX Reshape (opset 13) copies the input's size where TensorFlow means zero.
          throw new UnsupportedOpException("node '" + name + "' reshapes to a shape with a zero"
              + " size " + Arrays.toString(s));
        }
      }
      target = int64s(name + "/shape", s);
    } else {
      target = int64(name, in.get(1));
    }
    return node(name, "Reshape", List.of(in.get(0), target), null, name);
  }

  private Value int64(String name, Value v) {
    return dtypeOf(v) == DType.INT64 ? v
        : node(name + "/to_int64", "Cast", List.of(v), attrs("to", (long) DType.INT64.onnxCode()),
            name + "/int64");
  }

  private Value pad(NodeDef n, List<Value> in) {
    String name = n.getName();
    long[] p = constInts(n, in.get(1), "paddings");
    int r = p.length / 2;
    long[] pads = new long[2 * r];
    for (int k = 0; k < r; k++) {
      pads[k] = p[2 * k];
      pads[k + r] = p[2 * k + 1];
    }
    List<Value> args = new ArrayList<>(List.of(in.get(0), int64s(name + "/pads", pads)));
    if (in.size() > 2) {
      args.add(in.get(2));
    }
    return node(name, "Pad", args, attrs("mode", "constant"), name);
  }

  private Value squeeze(NodeDef n, Value x) {
    String name = n.getName();
    long[] axes = ints(n, "squeeze_dims");
    if (axes.length == 0) {
      axes = ints(n, "axis");
    }
    return node(name, "Squeeze",
        axes.length == 0 ? List.of(x) : List.of(x, int64s(name + "/axes", axes)), null, name);
  }

  private Value shape(NodeDef n, Value x) {
    String name = n.getName();
    AttrValue t = n.getAttrMap().get("out_type");
    DType d = t == null ? DType.INT32 : TfTensors.dtype(t.getType());
    Value s = node(name + "/shape", "Shape", List.of(x), null,
        d == DType.INT64 ? name : name + "/int64");
    return d == DType.INT64 ? s
        : node(name, "Cast", List.of(s), attrs("to", (long) d.onnxCode()), name);
  }

  private Value pack(NodeDef n, List<Value> in) {
    String name = n.getName();
    long axis = i(n, "axis");
    List<Value> parts = new ArrayList<>();
    for (int k = 0; k < in.size(); k++) {
      parts.add(node(name + "/unsqueeze" + k, "Unsqueeze",
          List.of(in.get(k), int64s(name + "/axis", axis)), null, name + "/part" + k));
    }
    return node(name, "Concat", parts, attrs("axis", axis), name);
  }

  /**
   * StridedSlice with constant begin, end and strides: a Slice over the input axes the spec
   * covers (masks and ellipsis resolved), then a Squeeze for shrunk axes and an Unsqueeze for
   * new ones.
   */
  private Value stridedSlice(NodeDef n, List<Value> in) {
    String name = n.getName();
    Value x = in.get(0);
    int r = rank(n, x);
    long[] begin = constInts(n, in.get(1), "begin");
    long[] end = constInts(n, in.get(2), "end");
    long[] strides = constInts(n, in.get(3), "strides");
    long beginMask = i(n, "begin_mask");
    long endMask = i(n, "end_mask");
    long ellipsisMask = i(n, "ellipsis_mask");
    long newAxisMask = i(n, "new_axis_mask");
    long shrinkMask = i(n, "shrink_axis_mask");
    int specs = begin.length;
    int consuming = 0;
    for (int k = 0; k < specs; k++) {
      if ((ellipsisMask >> k & 1) == 0 && (newAxisMask >> k & 1) == 0) {
        consuming++;
      }
    }
    List<Long> starts = new ArrayList<>();
    List<Long> ends = new ArrayList<>();
    List<Long> axes = new ArrayList<>();
    List<Long> steps = new ArrayList<>();
    List<Long> squeeze = new ArrayList<>();
    List<Long> unsqueeze = new ArrayList<>();
    int d = 0;
    int outPos = 0;
    for (int k = 0; k < specs; k++) {
      if ((ellipsisMask >> k & 1) != 0) {
        d += r - consuming;
        outPos += r - consuming;
        continue;
      }
      if ((newAxisMask >> k & 1) != 0) {
        unsqueeze.add((long) outPos++);
        continue;
      }
      long s = strides[k];
      if (s == 0) {
        throw new InvalidModelException("node '" + name + "' has a zero stride");
      }
      if ((shrinkMask >> k & 1) != 0) {
        long b0 = begin[k];
        starts.add(b0);
        ends.add(b0 == -1 ? Long.MAX_VALUE : b0 + 1);
        steps.add(1L);
        squeeze.add((long) d);
      } else {
        starts.add((beginMask >> k & 1) != 0 ? (s > 0 ? 0 : Long.MAX_VALUE) : begin[k]);
        ends.add((endMask >> k & 1) != 0 ? (s > 0 ? Long.MAX_VALUE : Long.MIN_VALUE) : end[k]);
        steps.add(s);
        outPos++;
      }
      axes.add((long) d++);
    }
    Value y = node(name + "/slice", "Slice", List.of(x,
        int64s(name + "/starts", longs(starts)), int64s(name + "/ends", longs(ends)),
        int64s(name + "/axes", longs(axes)), int64s(name + "/steps", longs(steps))), null,
        squeeze.isEmpty() && unsqueeze.isEmpty() ? name : name + "/sliced");
    if (!squeeze.isEmpty()) {
      y = node(name + "/squeeze", "Squeeze", List.of(y, int64s(name + "/shrink", longs(squeeze))),
          null, unsqueeze.isEmpty() ? name : name + "/shrunk");
    }
    if (!unsqueeze.isEmpty()) {
      y = node(name + "/unsqueeze", "Unsqueeze",
          List.of(y, int64s(name + "/new_axes", longs(unsqueeze))), null, name);
    }
    return y;
  }

  private static long[] longs(List<Long> l) {
    return l.stream().mapToLong(Long::longValue).toArray();
  }
}
