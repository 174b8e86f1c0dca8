package dev.convoy.transforms.optimize.move;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The ops a Transpose can move through, by family: {@link #move} says how a node computes the
 * same result when its layout inputs carry a permutation, or null when it cannot (unknown op,
 * non-constant axes, an opset whose semantics do not permute). Each family lives in its own file.
 */
public final class MovableOps {
  private MovableOps() {}

  /** How {@code n} runs on inputs moved by {@code p}, or null when it cannot. */
  public static MovedOp move(Node n, long[] p) {
    if (!n.domain().isEmpty() || !n.subgraphs().isEmpty()) {
      return null;
    }
    MovedOp m = ElementwiseMoves.move(n, p);
    if (m == null) {
      m = ReduceMoves.move(n, p);
    }
    if (m == null) {
      m = AxisMoves.move(n, p);
    }
    if (m == null) {
      m = WindowMoves.move(n, p);
    }
    if (m == null) {
      m = RankMoves.move(n, p);
    }
    return m;
  }

  /** Integers given by attribute {@code attr} or constant input {@code input}, or null. */
  static long[] axes(Node n, String attr, int input) {
    long[] a = n.intsAttr(attr);
    if (a != null) {
      return a;
    }
    Value v = n.input(input);
    return v == null ? null : Facts.constLongs(v);
  }

  /** Whether {@code n} gives its {@code attr} as an input rather than as an attribute. */
  static boolean asInput(Node n, String attr, int input) {
    return n.intsAttr(attr) == null && input < n.inputCount() && n.input(input) != null;
  }

  /**
   * {@code n} with the integers of {@code attr} (or of input {@code input}, keeping the form the
   * node uses) replaced by {@code values}.
   */
  static MovedOp withInts(Node n, String attr, int input, long[] values, List<Integer> layout,
      List<long[]> outputPerms) {
    if (asInput(n, attr, input)) {
      Map<Integer, Tensor> c = new HashMap<>();
      c.put(input, Tensor.ofLongs(new long[] {values.length}, values));
      return new MovedOp(layout, n.attributes(), c, outputPerms);
    }
    return new MovedOp(
        layout, MovedOp.with(n, attr, new Attribute.IntsAttr(values)), Map.of(), outputPerms);
  }

  /** The rank of {@code v} when known, else -1. */
  static int rank(Value v) {
    return Facts.rank(v);
  }
}
