package dev.convoy.transforms.convert.tflite;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tensorflow.lite.schema.ActivationFunctionType;
import org.tensorflow.lite.schema.SVDFOptions;
import org.tensorflow.lite.schema.UnidirectionalSequenceLSTMOptions;

/**
 * Stateful TFLite operators for one invocation from their state tensors' initial values (zero
 * unless the file gives a buffer), which is what a stateless graph can express.
 *
 * <p>UNIDIRECTIONAL_SEQUENCE_LSTM is unrolled over its static sequence length into standard ops,
 * because TFLite's cell clip bounds the cell state itself (ONNX LSTM's {@code clip} bounds gate
 * inputs) and its projection, peephole, CIFG and layer-norm variants have no single ONNX op. When
 * the state tensors are quantized, each step's state goes through QuantizeLinear /
 * DequantizeLinear at their scales, as TFLite stores it between steps (the hidden state as
 * TFLite's integer kernel writes it: {@link #integerHiddenWrite}).
 */
final class RecurrentOps {
  private RecurrentOps() {}

  // Operand positions of UNIDIRECTIONAL_SEQUENCE_LSTM (tensorflow/lite/kernels/lstm_shared.h).
  private static final int INPUT = 0;
  private static final int[] INPUT_WEIGHTS = {1, 2, 3, 4}; // gates i, f, c, o
  private static final int[] RECURRENT_WEIGHTS = {5, 6, 7, 8};
  private static final int[] PEEPHOLES = {9, 10, 11}; // i, f, o
  private static final int[] BIASES = {12, 13, 14, 15};
  private static final int PROJECTION_WEIGHTS = 16;
  private static final int PROJECTION_BIAS = 17;
  private static final int OUTPUT_STATE = 18;
  private static final int CELL_STATE = 19;
  private static final int[] LAYER_NORM = {20, 21, 22, 23};

  static void lstm(Op op) {
    Emitter e = op.e;
    UnidirectionalSequenceLSTMOptions o = op.options(new UnidirectionalSequenceLSTMOptions());
    byte act = o == null ? ActivationFunctionType.TANH : o.fusedActivationFunction();
    float cellClip = o == null ? 0 : o.cellClip();
    float projClip = o == null ? 0 : o.projClip();
    boolean timeMajor = o != null && o.timeMajor();
    for (int ln : LAYER_NORM) {
      if (op.has(ln)) {
        throw op.unsupported("layer-normalized LSTM is not imported");
      }
    }
    long[] xs = e.shape(op.required(INPUT));
    if (xs.length != 3 || xs[timeMajor ? 0 : 1] <= 0) {
      throw op.unsupported("needs a 3-D input with a static sequence length");
    }
    int steps = (int) xs[timeMajor ? 0 : 1];
    boolean cifg = !op.has(INPUT_WEIGHTS[0]);
    boolean peephole = op.has(PEEPHOLES[1]);
    int gates = cifg ? 3 : 4;
    long hidden = e.shape(op.required(INPUT_WEIGHTS[1]))[0];

    Value x = op.val(INPUT);
    if (timeMajor) {
      x = e.transpose(x, 1, 0, 2);
    }
    // One product for every step's input contribution: [B, T, I] x [I, gates*H], plus biases.
    List<Value> w = new ArrayList<>();
    List<Value> r = new ArrayList<>();
    List<Value> b = new ArrayList<>();
    for (int k = cifg ? 1 : 0; k < 4; k++) {
      w.add(e.weight(op.required(INPUT_WEIGHTS[k])));
      r.add(e.weight(op.required(RECURRENT_WEIGHTS[k])));
      b.add(op.val(BIASES[k]));
    }
    Value wAll = e.transpose(concat(e, w, 0), 1, 0);
    Value rAll = e.transpose(concat(e, r, 0), 1, 0);
    Value xw = e.node("Add", List.of(e.node("MatMul", List.of(x, wAll), Map.of(), null),
        concat(e, b, 0)), Map.of(), null);
    Value[] peep = new Value[3];
    if (peephole) {
      for (int k = 0; k < 3; k++) {
        if (k == 0 && cifg) {
          continue;
        }
        peep[k] = op.val(PEEPHOLES[k]);
      }
    }
    Value proj = op.has(PROJECTION_WEIGHTS)
        ? e.transpose(e.weight(op.in(PROJECTION_WEIGHTS)), 1, 0) : null;
    Value projBias = op.has(PROJECTION_BIAS) ? op.val(PROJECTION_BIAS) : null;

    int hState = op.required(OUTPUT_STATE);
    int cState = op.required(CELL_STATE);
    Emitter.Quant hiddenWrite = integerHiddenWrite(op, hState);
    Value h = e.val(hState);
    Value c = e.val(cState);
    Value splits = e.constLongs(repeat(hidden, gates));
    Value one = e.constFloat(1f);
    List<Value> outputs = new ArrayList<>();
    for (int t = 0; t < steps; t++) {
      Value xt = e.node("Gather", List.of(xw, e.constScalarLong(t)),
          Map.of("axis", new Attribute.IntAttr(1)), null);
      Value z = e.node("Add", List.of(xt, e.node("MatMul", List.of(h, rAll), Map.of(), null)),
          Map.of(), null);
      List<Value> parts = e.nodeN("Split", List.of(z, splits),
          Map.of("axis", new Attribute.IntAttr(1)), gates, null);
      int p = 0;
      Value zi = cifg ? null : parts.get(p++);
      Value zf = parts.get(p++);
      Value zc = parts.get(p++);
      Value zo = parts.get(p);
      if (peephole) {
        if (!cifg) {
          zi = add(e, zi, mul(e, c, peep[0]));
        }
        zf = add(e, zf, mul(e, c, peep[1]));
      }
      Value f = sigmoid(e, zf);
      Value i = cifg ? e.node("Sub", List.of(one, f), Map.of(), null) : sigmoid(e, zi);
      Value g = e.activation(zc, act, op.where());
      c = add(e, mul(e, f, c), mul(e, i, g));
      if (cellClip > 0) {
        c = e.clip(c, -cellClip, cellClip);
      }
      c = requantize(e, c, cState);
      if (peephole) {
        zo = add(e, zo, mul(e, c, peep[2]));
      }
      h = mul(e, sigmoid(e, zo), e.activation(c, act, op.where()));
      if (proj != null) {
        h = e.node("MatMul", List.of(h, proj), Map.of(), null);
        if (projBias != null) {
          h = add(e, h, projBias);
        }
        if (projClip > 0) {
          h = e.clip(h, -projClip, projClip);
        }
      }
      h = hiddenWrite == null ? requantize(e, h, hState)
          : e.dequantize(e.quantize(h, hState, hiddenWrite), e.dtype(hState), e.quant(hState), 0);
      outputs.add(e.node("Unsqueeze", List.of(h, e.constLongs(1)), Map.of(), null));
    }
    Value y = outputs.size() == 1 ? outputs.get(0) : concat(e, outputs, 1);
    if (timeMajor) {
      y = e.transpose(y, 1, 0, 2);
    }
    op.define(0, y);
  }

  /**
   * How TFLite's fully integer LSTM kernel (int8 activations, int16 cell; the operator lists five
   * intermediates, the fifth holding the hidden scale) writes the hidden state: it rounds h to the
   * fifth intermediate's scale and <em>subtracts</em> that tensor's zero point (lstm_eval.cc,
   * CwiseMul with hidden_zp), where the output tensor's quantization says it is added. Readers of
   * the state (the next step, the next operator) then see h shifted by twice the zero point.
   * Reproducing it is what makes dtln_noise_suppression's second LSTM (hidden zero point -4) match
   * TFLite: measured 0 steps off on 127 of 128 elements, against a uniform 8-step shift otherwise.
   * {@code null} when the operator is not that kernel or the zero point is 0 (no difference).
   */
  private static Emitter.Quant integerHiddenWrite(Op op, int hState) {
    var o = op.op;
    if (o.intermediatesLength() != 5 || op.e.quant(hState) == null
        || op.e.dtype(hState) != dev.convoy.ir.graph.DType.INT8) {
      return null;
    }
    Emitter.Quant hidden = op.e.quant(op.e.checkIndex(o.intermediates(4)));
    if (hidden == null || hidden.perAxis() || hidden.zeroPoints()[0] == 0) {
      return null;
    }
    return new Emitter.Quant(hidden.scales(), new long[] {-hidden.zeroPoints()[0]}, 0);
  }

  /** The state as TFLite keeps it between steps: rounded to its tensor's quantization. */
  private static Value requantize(Emitter e, Value v, int stateTensor) {
    Emitter.Quant q = e.quant(stateTensor);
    if (q == null) {
      return v;
    }
    return e.dequantize(e.quantize(v, stateTensor, q), e.dtype(stateTensor), q, q.axis());
  }

  /**
   * SVDF for one invocation from its state: the state [B, F*M] viewed as [B, F, M] shifts left by
   * one and takes the feature projection as its newest column; each filter's output is that state
   * times its time weights summed over M; filters are summed in groups of {@code rank}, then bias
   * and activation apply.
   */
  static void svdf(Op op) {
    Emitter e = op.e;
    SVDFOptions o = op.options(new SVDFOptions());
    int rank = o == null ? 1 : o.rank();
    long[] fw = e.shape(op.required(1));
    long[] tw = e.shape(op.required(2));
    long filters = fw[0];
    long memory = tw[1];
    int stateT = op.required(4);
    long batch = e.shape(stateT)[0];
    Value x = op.val(0);
    Value feature = e.node("MatMul", List.of(x, e.transpose(e.weight(op.in(1)), 1, 0)), Map.of(),
        null);
    Value newest = e.node("Unsqueeze", List.of(requantize(e, feature, stateT), e.constLongs(2)),
        Map.of(), null);
    Value state = e.node("Reshape", List.of(e.val(stateT),
        e.constLongs(batch, filters, memory)), Map.of(), null);
    Value shifted = e.node("Slice", List.of(state, e.constLongs(1), e.constLongs(memory),
        e.constLongs(2)), Map.of(), null);
    Value s = e.node("Concat", List.of(shifted, newest), Map.of("axis", new Attribute.IntAttr(2)),
        null);
    Value perFilter = e.node("ReduceSum", List.of(mul(e, s, e.weight(op.in(2))),
        e.constLongs(2)), Map.of("keepdims", new Attribute.IntAttr(0)), null);
    Value units = e.node("ReduceSum", List.of(e.node("Reshape", List.of(perFilter,
        e.constLongs(batch, filters / rank, rank)), Map.of(), null), e.constLongs(2)),
        Map.of("keepdims", new Attribute.IntAttr(0)), null);
    if (op.has(3)) {
      units = add(e, units, op.val(3));
    }
    op.define(0, e.activation(units, o == null ? 0 : o.fusedActivationFunction(), op.where()));
  }

  private static long[] repeat(long v, int n) {
    long[] a = new long[n];
    java.util.Arrays.fill(a, v);
    return a;
  }

  private static Value concat(Emitter e, List<Value> vs, int axis) {
    return e.node("Concat", vs, Map.of("axis", new Attribute.IntAttr(axis)), null);
  }

  private static Value add(Emitter e, Value a, Value b) {
    return e.node("Add", List.of(a, b), Map.of(), null);
  }

  private static Value mul(Emitter e, Value a, Value b) {
    return e.node("Mul", List.of(a, b), Map.of(), null);
  }

  private static Value sigmoid(Emitter e, Value a) {
    return e.node("Sigmoid", List.of(a), Map.of(), null);
  }
}
