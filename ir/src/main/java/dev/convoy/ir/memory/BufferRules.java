package dev.convoy.ir.memory;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Use;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import java.util.Map;
import java.util.Set;

/**
 * What a memory plan may assume about a value's bytes: its static size, and which ONNX ops may
 * write their output over an input's bytes (aliases view them, elementwise ops overwrite them).
 */
public final class BufferRules {
  /** Ops whose output is a view of input 0's bytes. */
  public static final Set<String> ALIAS_OPS = Set.of("Reshape", "Flatten", "Squeeze", "Unsqueeze",
      "Identity");

  /** Ops that read element i of each input before writing element i of their output. */
  public static final Set<String> ELEMENTWISE = Set.of("Abs", "Add", "Ceil", "Clip", "Cos", "Div",
      "Elu", "Erf", "Exp", "Floor", "Gelu", "HardSigmoid", "HardSwish", "LeakyRelu", "Log", "Max",
      "Min", "Mish", "Mul", "Neg", "Pow", "Reciprocal", "Relu", "Round", "Selu", "Sigmoid", "Sign",
      "Sin", "Softplus", "Softsign", "Sqrt", "Sub", "Tanh");

  private BufferRules() {}

  /** Whether {@code n}'s output views its first input's bytes. */
  public static boolean isAlias(Node n) {
    return isOnnx(n) && ALIAS_OPS.contains(n.opType());
  }

  /** Whether {@code n} may write its output over an input of the same byte size. */
  public static boolean mayWriteInPlace(Node n) {
    return isOnnx(n) && n.outputCount() == 1 && ELEMENTWISE.contains(n.opType());
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
