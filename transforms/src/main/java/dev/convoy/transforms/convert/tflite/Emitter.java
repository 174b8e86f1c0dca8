package dev.convoy.transforms.convert.tflite;

import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.transforms.convert.ImportGraphBuilder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.lite.schema.ActivationFunctionType;
import org.tensorflow.lite.schema.QuantizationParameters;
import org.tensorflow.lite.schema.SubGraph;

/**
 * Emits one TFLite subgraph into an IR graph. Every TFLite tensor has a raw value (its own element
 * type: int8 for a quantized tensor) and, when quantized, a float value made by DequantizeLinear on
 * first use; operators compute on float values and a quantized result goes through
 * QuantizeLinear. Constant tensors become initializers that slice the mapped file.
 */
final class Emitter {
  /** A tensor's affine quantization: real = scale * (q - zeroPoint), per tensor or along an axis. */
  record Quant(float[] scales, long[] zeroPoints, int axis) {
    boolean perAxis() {
      return scales.length > 1;
    }
  }

  final TfliteFile file;
  final Graph g;
  /** Builds every node and constant of {@link #g}, as the Caffe and TensorFlow importers do. */
  private final ImportGraphBuilder builder;
  final SubGraph sg;
  final int subgraphIndex;
  private final Value[] raw;
  private final Map<Integer, Value> floats = new HashMap<>();
  private final Map<String, Value> weights = new HashMap<>();
  private final boolean[] produced;

  Emitter(TfliteFile file, Graph g, int subgraphIndex) {
    this.file = file;
    this.g = g;
    this.builder = new ImportGraphBuilder(g);
    this.subgraphIndex = subgraphIndex;
    if (subgraphIndex < 0 || subgraphIndex >= file.model.subgraphsLength()) {
      throw TfliteFile.invalid(file.src, "subgraph " + subgraphIndex + " of "
          + file.model.subgraphsLength() + " does not exist");
    }
    this.sg = file.model.subgraphs(subgraphIndex);
    this.raw = new Value[sg.tensorsLength()];
    this.produced = new boolean[sg.tensorsLength()];
    for (int i = 0; i < sg.operatorsLength(); i++) {
      var op = sg.operators(i);
      for (int k = 0; k < op.outputsLength(); k++) {
        produced[checkIndex(op.outputs(k))] = true;
      }
    }
  }

  /** Emits the subgraph with its inputs bound to {@code inputs}; returns its output values (raw). */
  List<Value> emit(List<Value> inputs) {
    if (inputs.size() != sg.inputsLength()) {
      throw TfliteFile.invalid(file.src, "subgraph " + subgraphIndex + " takes "
          + sg.inputsLength() + " inputs, given " + inputs.size());
    }
    for (int i = 0; i < inputs.size(); i++) {
      raw[checkIndex(sg.inputs(i))] = inputs.get(i);
    }
    for (int i = 0; i < sg.operatorsLength(); i++) {
      Builtins.convert(new Op(this, sg.operators(i), i));
    }
    List<Value> out = new ArrayList<>();
    for (int i = 0; i < sg.outputsLength(); i++) {
      out.add(raw(sg.outputs(i)));
    }
    return out;
  }

  int checkIndex(int t) {
    if (t < 0 || t >= raw.length) {
      throw TfliteFile.invalid(file.src, "subgraph " + subgraphIndex + " refers to tensor " + t
          + " of " + raw.length);
    }
    return t;
  }

  org.tensorflow.lite.schema.Tensor tensor(int t) {
    return sg.tensors(checkIndex(t));
  }

  String tensorName(int t) {
    String n = tensor(t).name();
    return n == null || n.isEmpty() ? "tensor" + t : n;
  }

  DType dtype(int t) {
    return file.dtype(tensor(t).type(), tensorName(t));
  }

  /** The static shape ({@code shape}) of tensor {@code t}. */
  long[] shape(int t) {
    var ten = tensor(t);
    long[] s = new long[ten.shapeLength()];
    for (int i = 0; i < s.length; i++) {
      s[i] = ten.shape(i);
    }
    return s;
  }

  /** The declared shape: {@code shape_signature} where present ({@code -1} unknown), else {@code shape}. */
  Shape declaredShape(int t, Map<Long, String> symbols) {
    var ten = tensor(t);
    if (ten.shapeSignatureLength() != ten.shapeLength()) {
      return Shape.of(shape(t));
    }
    List<Dim> dims = new ArrayList<>();
    for (int i = 0; i < ten.shapeSignatureLength(); i++) {
      int d = ten.shapeSignature(i);
      dims.add(d >= 0 ? Dim.of(d) : Dim.of(i == 0 ? "batch" : "d" + t + "_" + i));
    }
    return Shape.of(dims);
  }

  Quant quant(int t) {
    var ten = tensor(t);
    QuantizationParameters q = ten.quantization();
    DType dt = dtype(t);
    if (q == null || q.scaleLength() == 0 || !dt.isInteger()) {
      return null;
    }
    float[] scales = new float[q.scaleLength()];
    long[] zps = new long[q.scaleLength()];
    for (int i = 0; i < scales.length; i++) {
      scales[i] = q.scale(i);
      zps[i] = i < q.zeroPointLength() ? q.zeroPoint(i) : 0;
    }
    return new Quant(scales, zps, q.quantizedDimension());
  }

  boolean isConstant(int t) {
    return !produced[t] && raw[t] == null && !tensor(t).isVariable()
        && file.buffer(tensor(t).buffer(), tensorName(t)) != null;
  }

  /** The tensor's value at its own element type. */
  Value raw(int t) {
    checkIndex(t);
    if (raw[t] != null) {
      return raw[t];
    }
    var ten = tensor(t);
    ByteBuffer data = produced[t] ? null : file.buffer(ten.buffer(), tensorName(t));
    if (produced[t]) {
      throw TfliteFile.invalid(file.src, "tensor '" + tensorName(t)
          + "' is read before the operator that writes it");
    }
    if (data == null && !ten.isVariable()) {
      throw TfliteFile.invalid(file.src, "tensor '" + tensorName(t)
          + "' is neither an input, a constant nor an operator output");
    }
    long[] dims = shape(t);
    DType dt = dtype(t);
    Tensor value = data != null ? Tensor.of(dt, dims, data) : resetState(t, dt, dims);
    raw[t] = g.addInitializer(g.uniqueName(tensorName(t)), value);
    return raw[t];
  }

  /**
   * The initial value of a variable tensor (LSTM and SVDF state) with no buffer: as TFLite's
   * ResetVariableTensor, an int8 tensor holds its zero point (real 0), any other zero bytes.
   */
  private Tensor resetState(int t, DType dt, long[] dims) {
    Quant q = quant(t);
    if (dt != DType.INT8 || q == null || q.zeroPoints[0] == 0) {
      return Tensor.zeros(dt, dims);
    }
    byte[] fill = new byte[(int) Tensor.numElements(dims)];
    Arrays.fill(fill, (byte) q.zeroPoints[0]);
    return Tensor.ofBytes(dt, dims, fill);
  }

  /** The tensor's value in real numbers: dequantized when quantized, else as stored. */
  Value val(int t) {
    Quant q = quant(t);
    if (q == null) {
      return raw(t);
    }
    return floats.computeIfAbsent(t, k -> dequantize(raw(k), dtype(k), q, q.axis));
  }

  /**
   * A constant operand (weights) permuted by {@code perm} and then dequantized, so the integer
   * weights stay integer initializers that fold, and the per-axis scale axis follows the permutation.
   */
  Value weight(int t, int... perm) {
    String key = t + Arrays.toString(perm);
    Value cached = weights.get(key);
    if (cached != null) {
      return cached;
    }
    Quant q = quant(t);
    Value v;
    if (q == null) {
      v = transpose(val(t), perm);
    } else {
      int axis = q.axis;
      for (int i = 0; i < perm.length; i++) {
        if (perm[i] == q.axis) {
          axis = i;
        }
      }
      v = dequantize(transpose(raw(t), perm), dtype(t), q, axis);
    }
    weights.put(key, v);
    return v;
  }

  Value dequantize(Value x, DType dt, Quant q, int axis) {
    List<Value> ins = new ArrayList<>(List.of(x, scale(q)));
    boolean zeroZp = Arrays.stream(q.zeroPoints).allMatch(z -> z == 0);
    if (dt != DType.INT32 || !zeroZp) {
      ins.add(zeroPoint(q, dt));
    }
    Map<String, Attribute> attrs = new LinkedHashMap<>();
    if (q.perAxis()) {
      attrs.put("axis", new Attribute.IntAttr(axis));
    }
    return node("DequantizeLinear", ins, attrs, x.name() + "_dq");
  }

  /** {@code x} quantized as tensor {@code t} says, giving a value of t's element type. */
  Value quantize(Value x, int t, Quant q) {
    DType dt = dtype(t);
    if (dt == DType.INT32 || dt == DType.INT64 || dt == DType.UINT32) {
      // QuantizeLinear has no 32-bit targets: round half to even, shift, saturate, cast.
      Value y = node("Round", List.of(node("Div", List.of(x, scale(q)), Map.of(), null)),
          Map.of(), null);
      y = node("Add", List.of(y, zeroPointAsFloat(q)), Map.of(), null);
      double lo = dt == DType.UINT32 ? 0 : dt == DType.INT32 ? Integer.MIN_VALUE : Long.MIN_VALUE;
      double hi = dt == DType.UINT32 ? 4294967295.0 : dt == DType.INT32 ? Integer.MAX_VALUE
          : Long.MAX_VALUE;
      y = node("Clip", List.of(y, constFloat((float) lo), constFloat(Math.nextDown((float) hi))),
          Map.of(), null);
      return cast(y, dt);
    }
    Map<String, Attribute> attrs = new LinkedHashMap<>();
    if (q.perAxis()) {
      attrs.put("axis", new Attribute.IntAttr(q.axis));
    }
    return node("QuantizeLinear", List.of(x, scale(q), zeroPoint(q, dt)), attrs,
        tensorName(t));
  }

  /** Binds tensor {@code t} to {@code result}, quantizing it when t is quantized. */
  void define(int t, Value result) {
    checkIndex(t);
    Quant q = quant(t);
    Value v;
    if (q == null) {
      v = result;
      DType want = dtype(t);
      if (result.type() instanceof ValueType.TensorType tt && tt.dtype() != want) {
        v = cast(result, want);
      }
    } else {
      v = quantize(result, t, q);
      floats.remove(t);
    }
    raw[t] = v;
  }

  /** Binds tensor {@code t} to a value already at t's element type (a Loop or If output). */
  void bind(int t, Value rawValue) {
    raw[checkIndex(t)] = rawValue;
    floats.remove(t);
  }

  private Value scale(Quant q) {
    Tensor s = q.perAxis()
        ? Tensor.ofFloats(new long[] {q.scales.length}, q.scales)
        : Tensor.ofFloats(new long[0], q.scales[0]);
    return constant("scale", s);
  }

  private Value zeroPoint(Quant q, DType dt) {
    long[] dims = q.perAxis() ? new long[] {q.zeroPoints.length} : new long[0];
    int n = q.perAxis() ? q.zeroPoints.length : 1;
    ByteBuffer b = ByteBuffer.allocate(n * dt.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      long z = q.zeroPoints[i];
      switch (dt.byteSize()) {
        case 1 -> b.put((byte) z);
        case 2 -> b.putShort((short) z);
        case 4 -> b.putInt((int) z);
        default -> b.putLong(z);
      }
    }
    b.flip();
    return constant("zero_point", Tensor.of(dt, dims, b));
  }

  private Value zeroPointAsFloat(Quant q) {
    float[] z = new float[q.zeroPoints.length];
    for (int i = 0; i < z.length; i++) {
      z[i] = q.zeroPoints[i];
    }
    return constant("zero_point", q.perAxis() ? Tensor.ofFloats(new long[] {z.length}, z)
        : Tensor.ofFloats(new long[0], z[0]));
  }

  // ---- reading constant operands ----

  /** The integer elements of constant tensor {@code t} (shape vectors, axes, paddings). */
  long[] constInts(int t, String what) {
    if (!isConstant(t)) {
      throw new dev.convoy.ir.UnsupportedOpException(file.src + ": " + what + " (tensor '"
          + tensorName(t) + "') is computed at run time; Convoy imports it only as a constant");
    }
    return Tensor.of(dtype(t), shape(t), file.buffer(tensor(t).buffer(), tensorName(t)))
        .toLongArray();
  }

  // ---- building nodes ----

  Value node(String opType, List<Value> inputs, Map<String, Attribute> attrs, String hint) {
    return nodeN(opType, inputs, attrs, 1, hint).get(0);
  }

  List<Value> nodeN(String opType, List<Value> inputs, Map<String, Attribute> attrs, int outputs,
      String hint) {
    String base = g.uniqueName(hint == null ? opType.toLowerCase() : hint);
    List<String> names = new ArrayList<>();
    names.add(base);
    for (int i = 1; i < outputs; i++) {
      names.add(base + "_" + i);
    }
    return builder.nodeN(null, opType, inputs, attrs, names);
  }

  Value constant(String hint, Tensor t) {
    return builder.constant(hint, t);
  }

  Value constLongs(long... values) {
    return builder.int64s("const", values);
  }

  Value constScalarLong(long value) {
    return constant("const", Tensor.ofLongs(new long[0], value));
  }

  Value constFloat(float value) {
    return constant("const", Tensor.ofFloats(new long[0], value));
  }

  Value transpose(Value v, int... perm) {
    if (perm.length == 0) {
      return v;
    }
    long[] p = Arrays.stream(perm).asLongStream().toArray();
    return node("Transpose", List.of(v), Map.of("perm", new Attribute.IntsAttr(p)),
        v.name() + "_t");
  }

  Value cast(Value v, DType to) {
    return node("Cast", List.of(v), Map.of("to", new Attribute.IntAttr(to.onnxCode())), null);
  }

  Value toNchw(Value v) {
    return transpose(v, 0, 3, 1, 2);
  }

  Value toNhwc(Value v) {
    return transpose(v, 0, 2, 3, 1);
  }

  /** A TFLite fused activation applied to {@code v}. */
  Value activation(Value v, byte code, String where) {
    return switch (code) {
      case ActivationFunctionType.NONE -> v;
      case ActivationFunctionType.RELU -> node("Relu", List.of(v), Map.of(), null);
      case ActivationFunctionType.RELU6 -> clip(v, 0f, 6f);
      case ActivationFunctionType.RELU_N1_TO_1 -> clip(v, -1f, 1f);
      case ActivationFunctionType.TANH -> node("Tanh", List.of(v), Map.of(), null);
      default -> throw new dev.convoy.ir.UnsupportedOpException(file.src + ": " + where
          + " has fused activation " + (code >= 0 && code < ActivationFunctionType.names.length
              ? ActivationFunctionType.names[code] : "code " + code)
          + ", which Convoy does not import");
    };
  }

  Value clip(Value v, float lo, float hi) {
    return node("Clip", List.of(v, constFloat(lo), constFloat(hi)), Map.of(), null);
  }

  InvalidModelException invalid(String why) {
    return TfliteFile.invalid(file.src, why);
  }
}
