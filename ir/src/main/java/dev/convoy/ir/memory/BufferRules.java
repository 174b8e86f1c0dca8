package dev.convoy.ir.memory;

import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Use;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.runtime.NarrowTypes;
import java.util.Map;
import java.util.Set;

/**
 * What a memory plan may assume about a value's bytes: its static size, and which ops may write
 * an output over an input's bytes (aliases view them; the others overwrite them in place).
 *
 * <p>An op may write over input {@code i} when its kernel reads what it needs of that input
 * before writing over it, element by element or all first, or computes its output elsewhere
 * first (the evaluator then copies it into place). Besides the elementwise ops: Softmax,
 * LogSoftmax and Hardmax (a row's maximum and sum are taken before the row is written),
 * LayerNormalization, standard and {@code convoy} (a row's mean and variance first), inference
 * BatchNormalization and InstanceNormalization, standard and channels-last (a per-channel affine
 * map; instance statistics per image first), Where, and Cast, QuantizeLinear and
 * DequantizeLinear, which the planner lets share only between types of one storage width (int8
 * and uint8, float16 and int16...). Only output 0 shares, over input 0 unless the op is
 * elementwise or Where; kernels of these ops must keep that property (ArenaInPlaceTest runs each
 * planned and unplanned).
 */
public final class BufferRules {
  /** Ops whose output is a view of input 0's bytes. */
  public static final Set<String> ALIAS_OPS = Set.of("Reshape", "Flatten", "Squeeze", "Unsqueeze",
      "Identity");

  /** Ops that read element i of each input before writing element i of their output. */
  public static final Set<String> ELEMENTWISE = Set.of("Abs", "Add", "Ceil", "Clip", "Cos", "Div",
      "Elu", "Erf", "Exp", "Floor", "Gelu", "HardSigmoid", "HardSwish", "LeakyRelu", "Log", "Max",
      "Min", "Mish", "Mul", "Neg", "Pow", "Reciprocal", "Relu", "Round", "Selu", "Sigmoid", "Sign",
      "Sin", "Softplus", "Softsign", "Sqrt", "Sub", "Tanh", "Where");

  /** Ops that may write output 0 over input 0 (of the same bytes), beyond the elementwise ones. */
  public static final Set<String> OVER_FIRST_INPUT = Set.of("Softmax", "LogSoftmax", "Hardmax",
      "LayerNormalization", "BatchNormalization", "InstanceNormalization", "Cast",
      "QuantizeLinear", "DequantizeLinear");

  /** Ops of the {@code convoy} domain that may write output 0 over input 0. */
  public static final Set<String> CONVOY_OVER_FIRST_INPUT = Set.of("LayerNormalization",
      "NhwcBatchNormalization", "NhwcInstanceNormalization");

  private BufferRules() {}

  /** Whether {@code n}'s output views its first input's bytes. */
  public static boolean isAlias(Node n) {
    return isOnnx(n) && ALIAS_OPS.contains(n.opType());
  }

  /**
   * Whether output {@code output} of {@code n} may be written over the bytes of its input {@code
   * input} (when the sizes match and the input is read last by {@code n}).
   */
  public static boolean mayWriteInPlace(Node n, int output, int input) {
    if (output != 0 || !n.onlyFirstOutputRead()) {
      return false;
    }
    if (isOnnx(n)) {
      return ELEMENTWISE.contains(n.opType())
          || input == 0 && OVER_FIRST_INPUT.contains(n.opType());
    }
    return input == 0 && n.domain().equals(OpCatalog.CONVOY_DOMAIN)
        && CONVOY_OVER_FIRST_INPUT.contains(n.opType());
  }

  /**
   * Whether values of types {@code a} and {@code b} are held alike, in one kind of array with one
   * element width (int8 and uint8, float16 and int16...), so one may be written over the other.
   */
  public static boolean sameStorage(DType a, DType b) {
    if (a == b) {
      return true;
    }
    if (NarrowTypes.packedBits(a) > 0 || NarrowTypes.packedBits(b) > 0) {
      return false;
    }
    try {
      return NdArray.storageClass(a) == NdArray.storageClass(b);
    } catch (UnsupportedOpException e) {
      return false;
    }
  }

  private static boolean isOnnx(Node n) {
    return n.domain().isEmpty() || n.domain().equals("ai.onnx");
  }

  /**
   * The step of the last node of {@code top} that reads {@code v} (a read inside a subgraph counts
   * as one by the node owning it); {@code defined} when none does.
   */
  public static int lastRead(Graph top, Value v, int defined, Map<Node, Integer> step) {
    int last = defined;
    for (Use u : v.uses()) {
      last = Math.max(last, step.get(u.node().enclosingNodeIn(top)));
    }
    return last;
  }

  /** Byte size of a static tensor value, or -1 when it has none (unknown shape, strings...). */
  public static long staticBytes(Value v) {
    ValueType.TensorType t = v.tensorType();
    if (t == null || !t.shape().isStatic() || t.dtype() == DType.STRING) {
      return -1;
    }
    if (t.dtype() == DType.INT4 || t.dtype() == DType.UINT4 || t.dtype() == DType.FLOAT4E2M1) {
      return (t.shape().numElements() + 1) / 2;
    }
    return Math.multiplyExact(t.shape().numElements(), (long) t.dtype().byteSize());
  }
}
