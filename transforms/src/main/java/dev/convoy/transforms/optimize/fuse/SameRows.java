package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Target;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether two tensors of one rank provably have the same dims but the last (the same rows): their
 * shapes say so, or both are computed from one tensor by ops that keep every dim but the last,
 * which is how self-attention reads its queries and keys from one hidden state (projections by a
 * 2-D constant weight, quantized or not, a bias or scale of rank at most 1, elementwise casts and
 * quantizations, a Split along the last axis).
 */
final class SameRows {
  /** How far up the producers a walk goes: a projection chain has a handful of steps. */
  private static final int MAX_STEPS = 8;

  private SameRows() {}

  /** Whether {@code a} and {@code b} provably have the same dims but the last. */
  static boolean of(Value a, Value b) {
    int rank = Facts.rank(a);
    if (rank < 2 || Facts.rank(b) != rank) {
      return false;
    }
    Shape sa = Facts.shape(a);
    Shape sb = Facts.shape(b);
    boolean shapesSay = true;
    for (int i = 0; i < rank - 1; i++) {
      shapesSay &= FuseAttentionHeads.provablyEqual(sa.dim(i), sb.dim(i));
    }
    if (shapesSay) {
      return true;
    }
    List<Value> fromA = sources(a, rank);
    for (Value v : sources(b, rank)) {
      if (fromA.contains(v)) {
        return true;
      }
    }
    return false;
  }

  /** {@code x} and the tensors it is computed from by row-keeping ops, nearest first. */
  private static List<Value> sources(Value x, int rank) {
    List<Value> out = new ArrayList<>(List.of(x));
    for (int step = 0; step < MAX_STEPS; step++) {
      Value up = rowSource(x);
      if (up == null || Facts.rank(up) != rank) {
        break;
      }
      out.add(up);
      x = up;
    }
    return out;
  }

  /** The input whose rows {@code x} keeps, when its producer provably keeps them; else null. */
  private static Value rowSource(Value x) {
    Node p = x.producer();
    if (p == null || p.inputCount() == 0) {
      return null;
    }
    String op = p.opType();
    boolean standard = p.domain().isEmpty();
    switch (op) {
      case "MatMul", "MatMulInteger", "MatMulIntegerToFloat" -> {
        Value w = p.input(1);
        boolean known = op.equals("MatMulIntegerToFloat")
            ? p.domain().equals(Target.MICROSOFT) || p.domain().equals(OpCatalog.CONVOY_DOMAIN)
            : standard;
        return known && w != null && w.constant() != null && w.constant().rank() == 2
            ? p.input(0) : null;
      }
      case "Add", "Sub", "Mul", "Div" -> {
        if (!standard) {
          return null;
        }
        // An operand of rank 0 or 1 broadcasts over the last dim alone, constant or not (a
        // dequantization's scale product is computed at run time).
        for (int side = 0; side < 2; side++) {
          Value c = p.input(1 - side);
          int r = c == null ? -1 : Facts.rank(c);
          if (r == 0 || r == 1) {
            return p.input(side);
          }
        }
        return null;
      }
      case "Cast", "DynamicQuantizeLinear", "DequantizeLinear", "QuantizeLinear" -> {
        return standard && p.output(0) == x ? p.input(0) : null;
      }
      case "Split" -> {
        int rank = Facts.rank(p.input(0));
        long axis = p.intAttr("axis", 0);
        return standard && rank > 0 && (axis < 0 ? axis + rank : axis) == rank - 1
            ? p.input(0) : null;
      }
      default -> {
        return null;
      }
    }
  }
}
