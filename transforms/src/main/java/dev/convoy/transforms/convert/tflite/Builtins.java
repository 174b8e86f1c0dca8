package dev.convoy.transforms.convert.tflite;

import static org.tensorflow.lite.schema.BuiltinOperator.*;

import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tensorflow.lite.schema.AddOptions;
import org.tensorflow.lite.schema.BatchMatMulOptions;
import org.tensorflow.lite.schema.CastOptions;
import org.tensorflow.lite.schema.DepthToSpaceOptions;
import org.tensorflow.lite.schema.DivOptions;
import org.tensorflow.lite.schema.FullyConnectedOptions;
import org.tensorflow.lite.schema.FullyConnectedOptionsWeightsFormat;
import org.tensorflow.lite.schema.GeluOptions;
import org.tensorflow.lite.schema.LeakyReluOptions;
import org.tensorflow.lite.schema.MulOptions;
import org.tensorflow.lite.schema.ReducerOptions;
import org.tensorflow.lite.schema.SoftmaxOptions;
import org.tensorflow.lite.schema.SpaceToDepthOptions;
import org.tensorflow.lite.schema.SubOptions;

/**
 * The table from TFLite builtin codes to their IR translations, and the elementwise, activation,
 * reduction and product operators. Codes it does not know are rejected with their number; custom
 * operators with their custom code.
 */
final class Builtins {
  private Builtins() {}

  static void convert(Op op) {
    switch (op.code) {
      case ADD -> binary(op, "Add", fused(op, new AddOptions()));
      case SUB -> binary(op, "Sub", fused(op, new SubOptions()));
      case MUL -> binary(op, "Mul", fused(op, new MulOptions()));
      case DIV -> binary(op, "Div", fused(op, new DivOptions()));
      case MAXIMUM -> binary(op, "Max", (byte) 0);
      case MINIMUM -> binary(op, "Min", (byte) 0);
      case POW -> binary(op, "Pow", (byte) 0);
      case SQUARED_DIFFERENCE -> {
        Value d = op.e.node("Sub", List.of(op.val(0), op.val(1)), Map.of(), null);
        op.define(0, op.e.node("Mul", List.of(d, d), Map.of(), null));
      }
      case LESS -> binary(op, "Less", (byte) 0);
      case LESS_EQUAL -> binary(op, "LessOrEqual", (byte) 0);
      case GREATER -> binary(op, "Greater", (byte) 0);
      case GREATER_EQUAL -> binary(op, "GreaterOrEqual", (byte) 0);
      case EQUAL -> binary(op, "Equal", (byte) 0);
      case NOT_EQUAL -> op.define(0, op.e.node("Not", List.of(op.e.node("Equal",
          List.of(op.val(0), op.val(1)), Map.of(), null)), Map.of(), null));
      case LOGICAL_AND -> binary(op, "And", (byte) 0);
      case LOGICAL_OR -> binary(op, "Or", (byte) 0);
      case LOGICAL_NOT -> unary(op, "Not");
      case SELECT, SELECT_V2 -> op.define(0, op.e.node("Where",
          List.of(op.val(0), op.val(1), op.val(2)), Map.of(), null));
      case ABS -> unary(op, "Abs");
      case NEG -> unary(op, "Neg");
      case EXP -> unary(op, "Exp");
      case LOG -> unary(op, "Log");
      case SQRT -> unary(op, "Sqrt");
      case RSQRT -> op.define(0, op.e.node("Reciprocal", List.of(op.e.node("Sqrt",
          List.of(op.val(0)), Map.of(), null)), Map.of(), null));
      case SQUARE -> op.define(0, op.e.node("Mul", List.of(op.val(0), op.val(0)), Map.of(), null));
      case SIN -> unary(op, "Sin");
      case COS -> unary(op, "Cos");
      case FLOOR -> unary(op, "Floor");
      case CEIL -> unary(op, "Ceil");
      case ROUND -> unary(op, "Round");
      case SIGN -> unary(op, "Sign");
      case LOGISTIC -> unary(op, "Sigmoid");
      case TANH -> unary(op, "Tanh");
      case RELU -> unary(op, "Relu");
      case RELU6 -> op.define(0, op.e.clip(op.val(0), 0f, 6f));
      case RELU_N1_TO_1 -> op.define(0, op.e.clip(op.val(0), -1f, 1f));
      case RELU_0_TO_1 -> op.define(0, op.e.clip(op.val(0), 0f, 1f));
      case ELU -> unary(op, "Elu");
      case HARD_SWISH -> unary(op, "HardSwish");
      case LEAKY_RELU -> {
        LeakyReluOptions o = op.options(new LeakyReluOptions());
        op.define(0, op.e.node("LeakyRelu", List.of(op.val(0)),
            Map.of("alpha", new Attribute.FloatAttr(o == null ? 0.2f : o.alpha())), null));
      }
      case PRELU -> op.define(0, op.e.node("PRelu", List.of(op.val(0), op.val(1)), Map.of(),
          null));
      case GELU -> {
        GeluOptions o = op.options(new GeluOptions());
        boolean tanh = o != null && o.approximate();
        op.define(0, op.e.node("Gelu", List.of(op.val(0)),
            Map.of("approximate", Attribute.StringAttr.of(tanh ? "tanh" : "none")), null));
      }
      case SOFTMAX -> softmax(op, "Softmax");
      case LOG_SOFTMAX -> softmax(op, "LogSoftmax");
      case L2_NORMALIZATION -> l2Normalize(op);
      case MEAN -> reduce(op, "ReduceMean");
      case SUM -> reduce(op, "ReduceSum");
      case REDUCE_MAX -> reduce(op, "ReduceMax");
      case REDUCE_MIN -> reduce(op, "ReduceMin");
      case REDUCE_PROD -> reduce(op, "ReduceProd");
      case ARG_MAX -> argReduce(op, "ArgMax");
      case ARG_MIN -> argReduce(op, "ArgMin");
      case FULLY_CONNECTED -> fullyConnected(op);
      case BATCH_MATMUL -> batchMatMul(op);
      case CONV_2D -> ConvOps.conv2d(op);
      case DEPTHWISE_CONV_2D -> ConvOps.depthwise(op);
      case TRANSPOSE_CONV -> ConvOps.transposeConv(op);
      case MAX_POOL_2D -> ConvOps.pool(op, "MaxPool");
      case AVERAGE_POOL_2D -> ConvOps.pool(op, "AveragePool");
      case RESIZE_BILINEAR -> ConvOps.resize(op, true);
      case RESIZE_NEAREST_NEIGHBOR -> ConvOps.resize(op, false);
      case DEPTH_TO_SPACE -> ConvOps.depthToSpace(op, "DepthToSpace",
          op.options(new DepthToSpaceOptions()).blockSize());
      case SPACE_TO_DEPTH -> ConvOps.depthToSpace(op, "SpaceToDepth",
          op.options(new SpaceToDepthOptions()).blockSize());
      case RESHAPE -> ShapeOps.reshape(op);
      case SQUEEZE -> ShapeOps.squeeze(op);
      case EXPAND_DIMS -> ShapeOps.expandDims(op);
      case CONCATENATION -> ShapeOps.concatenation(op);
      case PACK -> ShapeOps.pack(op);
      case UNPACK -> ShapeOps.unpack(op);
      case SPLIT -> ShapeOps.split(op, false);
      case SPLIT_V -> ShapeOps.split(op, true);
      case PAD, PADV2 -> ShapeOps.pad(op, false);
      case MIRROR_PAD -> ShapeOps.pad(op, true);
      case TRANSPOSE -> ShapeOps.transpose(op);
      case SLICE -> ShapeOps.slice(op);
      case STRIDED_SLICE -> ShapeOps.stridedSlice(op);
      case GATHER -> ShapeOps.gather(op);
      case TILE -> ShapeOps.tile(op);
      case BROADCAST_TO -> ShapeOps.broadcastTo(op);
      case SHAPE -> op.define(0, op.e.node("Shape", List.of(op.val(0)), Map.of(), null));
      case CAST -> cast(op);
      // Both are the identity on real values: the output's own quantization (or none) applies.
      case QUANTIZE, DEQUANTIZE -> op.define(0, asFloat(op, 0));
      case UNIDIRECTIONAL_SEQUENCE_LSTM -> RecurrentOps.lstm(op);
      case SVDF -> RecurrentOps.svdf(op);
      case WHILE -> ControlFlowOps.whileLoop(op);
      case IF -> ControlFlowOps.ifThenElse(op);
      case CUSTOM -> custom(op);
      default -> throw new UnsupportedOpException(op.e.file.src + ": " + op.where()
          + ": TFLite operator " + TfliteFile.builtinName(op.code) + " (builtin code " + op.code
          + ") is not supported by Convoy's TFLite importer");
    }
  }

  private static void custom(Op op) {
    String code = op.customCode == null ? "" : op.customCode;
    if (code.equals("Convolution2DTransposeBias")) {
      ConvOps.convolution2dTransposeBias(op);
      return;
    }
    throw new UnsupportedOpException(op.e.file.src + ": " + op.where()
        + ": unsupported custom op '" + code + "' (builtin code " + op.code + ", CUSTOM)");
  }

  /** Operand {@code i} as float: dequantized, or cast when it is a float16 constant. */
  private static Value asFloat(Op op, int i) {
    Value v = op.val(i);
    DType dt = op.e.dtype(op.required(i));
    return dt == DType.FLOAT16 ? op.e.cast(v, DType.FLOAT) : v;
  }

  private static byte fused(Op op, com.google.flatbuffers.Table empty) {
    var t = op.options(empty);
    if (t instanceof AddOptions o) {
      return o.fusedActivationFunction();
    } else if (t instanceof SubOptions o) {
      return o.fusedActivationFunction();
    } else if (t instanceof MulOptions o) {
      return o.fusedActivationFunction();
    } else if (t instanceof DivOptions o) {
      return o.fusedActivationFunction();
    }
    return 0;
  }

  private static void binary(Op op, String onnxOp, byte act) {
    Value y = op.e.node(onnxOp, List.of(op.val(0), op.val(1)), Map.of(), null);
    op.define(0, op.e.activation(y, act, op.where()));
  }

  private static void unary(Op op, String onnxOp) {
    op.define(0, op.e.node(onnxOp, List.of(op.val(0)), Map.of(), null));
  }

  private static void softmax(Op op, String onnxOp) {
    SoftmaxOptions o = op.code == SOFTMAX ? op.options(new SoftmaxOptions()) : null;
    Value x = op.val(0);
    if (o != null && o.beta() != 1f) {
      x = op.e.node("Mul", List.of(x, op.e.constFloat(o.beta())), Map.of(), null);
    }
    op.define(0, op.e.node(onnxOp, List.of(x), Map.of("axis", new Attribute.IntAttr(-1)), null));
  }

  /** x / sqrt(max(sum(x^2, last axis), 1e-6)), TFLite's epsilon. */
  private static void l2Normalize(Op op) {
    Value x = op.val(0);
    Value ss = op.e.node("ReduceSumSquare", List.of(x, op.e.constLongs(-1)),
        Map.of("keepdims", new Attribute.IntAttr(1)), null);
    Value d = op.e.node("Sqrt", List.of(op.e.node("Max", List.of(ss, op.e.constFloat(1e-6f)),
        Map.of(), null)), Map.of(), null);
    op.define(0, op.e.node("Div", List.of(x, d), Map.of(), null));
  }

  private static void reduce(Op op, String onnxOp) {
    ReducerOptions o = op.options(new ReducerOptions());
    long[] axes = op.e.constInts(op.required(1), "the reduction axes");
    op.define(0, op.e.node(onnxOp, List.of(op.val(0), op.e.constLongs(axes)),
        Map.of("keepdims", new Attribute.IntAttr(o != null && o.keepDims() ? 1 : 0)), null));
  }

  private static void argReduce(Op op, String onnxOp) {
    long axis = op.e.constInts(op.required(1), "the axis")[0];
    Value y = op.e.node(onnxOp, List.of(op.val(0)),
        Map.of("axis", new Attribute.IntAttr(axis), "keepdims", new Attribute.IntAttr(0)), null);
    DType to = op.e.dtype(op.out(0));
    op.define(0, to == DType.INT64 ? y : op.e.cast(y, to));
  }

  private static void cast(Op op) {
    DType to = op.e.dtype(op.out(0));
    op.define(0, op.e.cast(op.val(0), to));
  }

  /**
   * FULLY_CONNECTED: the input flattened to [-1, K] times the transposed [N, K] weights plus the
   * bias, keeping the leading dimensions with keep_num_dims.
   */
  private static void fullyConnected(Op op) {
    FullyConnectedOptions o = op.options(new FullyConnectedOptions());
    if (o != null && o.weightsFormat() != FullyConnectedOptionsWeightsFormat.DEFAULT) {
      throw op.unsupported("shuffled weights format " + o.weightsFormat() + " is not imported");
    }
    long[] ws = op.e.shape(op.required(1));
    if (ws.length != 2) {
      throw op.unsupported("weights must be 2-D, not " + ws.length + "-D");
    }
    byte act = o == null ? 0 : o.fusedActivationFunction();
    boolean integer = IntegerKernels.applies(op, 0);
    Value x = op.e.node("Reshape", List.of(integer ? op.e.raw(op.in(0)) : asFloat(op, 0),
        op.e.constLongs(-1, ws[1])), Map.of(), null);
    Value y;
    if (integer) {
      y = IntegerKernels.fullyConnected(op, x, act);
    } else {
      Value w = op.e.isConstant(op.in(1)) ? op.e.weight(op.in(1)) : asFloat(op, 1);
      List<Value> ins = new ArrayList<>(List.of(x, w));
      if (op.has(2)) {
        ins.add(asFloat(op, 2));
      }
      y = op.e.node("Gemm", ins, Map.of("transB", new Attribute.IntAttr(1)), null);
      y = op.e.activation(y, act, op.where());
    }
    if (o != null && o.keepNumDims()) {
      long[] xs = op.e.shape(op.in(0));
      long[] out = java.util.Arrays.copyOf(xs, xs.length);
      out[0] = -1;
      out[out.length - 1] = ws[0];
      y = op.e.node("Reshape", List.of(y, op.e.constLongs(out)), Map.of(), null);
    }
    if (integer) {
      op.e.bind(op.out(0), y);
    } else {
      op.define(0, y);
    }
  }

  private static void batchMatMul(Op op) {
    BatchMatMulOptions o = op.options(new BatchMatMulOptions());
    Value a = op.val(0);
    Value b = op.val(1);
    if (o != null && o.adjX()) {
      a = swapLast(op, a, op.e.shape(op.in(0)).length);
    }
    if (o != null && o.adjY()) {
      b = swapLast(op, b, op.e.shape(op.in(1)).length);
    }
    op.define(0, op.e.node("MatMul", List.of(a, b), Map.of(), null));
  }

  private static Value swapLast(Op op, Value v, int rank) {
    int[] perm = new int[rank];
    for (int i = 0; i < rank; i++) {
      perm[i] = i;
    }
    perm[rank - 1] = rank - 2;
    perm[rank - 2] = rank - 1;
    return op.e.transpose(v, perm);
  }
}
