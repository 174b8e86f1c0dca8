package dev.convoy.transforms.optimize.move;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Elementwise ops commute with any permutation: unary ops (and ops whose extra inputs are
 * scalars, like Clip), broadcasting binary and variadic ops (every input moves, lower ranks
 * aligned to the trailing dims first), and Quantize/DequantizeLinear, whose per-axis parameters
 * follow their axis ({@code a -> p[a]}).
 */
final class ElementwiseMoves {
  private ElementwiseMoves() {}

  private static final Set<String> UNARY = Set.of(
      "Relu", "LeakyRelu", "Elu", "Selu", "Celu", "Sigmoid", "HardSigmoid", "HardSwish",
      "Tanh", "Softplus", "Softsign", "Mish", "Gelu", "Erf", "Exp", "Log", "Sqrt", "Reciprocal",
      "Abs", "Neg", "Sign", "Floor", "Ceil", "Round", "Not", "Sin", "Cos", "Tan", "Asin", "Acos",
      "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "IsNaN", "IsInf", "Cast", "Identity",
      "ThresholdedRelu", "Shrink", "BitwiseNot");

  /** Ops whose extra inputs are scalars that do not move. */
  private static final Set<String> SCALAR_EXTRAS = Set.of("Clip");

  private static final Set<String> BROADCAST = Set.of(
      "Add", "Sub", "Mul", "Div", "Pow", "Mod", "Max", "Min", "Sum", "Mean", "Equal", "Less",
      "LessOrEqual", "Greater", "GreaterOrEqual", "And", "Or", "Xor", "Where", "PRelu",
      "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor");

  /** Whether {@code op} maps elements one to one (its other operands broadcast). */
  static boolean isElementwise(String op) {
    return UNARY.contains(op) || SCALAR_EXTRAS.contains(op) || BROADCAST.contains(op);
  }

  static MovedOp move(Node n, long[] p) {
    String op = n.opType();
    if (UNARY.contains(op)) {
      return n.inputCount() == 1 ? MovedOp.unchanged(n, List.of(0), p) : null;
    }
    if (SCALAR_EXTRAS.contains(op)) {
      for (int i = 1; i < n.inputCount(); i++) {
        if (n.input(i) != null && MovableOps.rank(n.input(i)) != 0) {
          return null;
        }
      }
      return MovedOp.unchanged(n, List.of(0), p);
    }
    if (BROADCAST.contains(op)) {
      List<Integer> all = new ArrayList<>();
      for (int i = 0; i < n.inputCount(); i++) {
        int r = MovableOps.rank(n.input(i));
        if (n.input(i) == null || r < 0 || r > p.length) {
          return null;
        }
        all.add(i);
      }
      return MovedOp.unchanged(n, all, p);
    }
    if (op.equals("QuantizeLinear") || op.equals("DequantizeLinear")) {
      return quantize(n, p);
    }
    return null;
  }

  /** Per-tensor parameters stay; per-axis ones keep their data and follow their axis. */
  private static MovedOp quantize(Node n, long[] p) {
    if (n.intAttr("block_size", 0) != 0) {
      return null;
    }
    boolean perAxis = false;
    for (int i = 1; i < n.inputCount(); i++) {
      Value v = n.input(i);
      int r = v == null ? 0 : MovableOps.rank(v);
      if (r < 0 || r > 1) {
        return null;
      }
      perAxis |= r == 1;
    }
    if (!perAxis) {
      return MovedOp.unchanged(n, List.of(0), p);
    }
    long axis = n.intAttr("axis", 1);
    long a = axis < 0 ? axis + p.length : axis;
    if (a < 0 || a >= p.length) {
      return null;
    }
    return new MovedOp(List.of(0), MovedOp.with(n, "axis", MovedOp.intAttr(p[(int) a])),
        Map.of(), Collections.nCopies(n.outputCount(), p));
  }
}
