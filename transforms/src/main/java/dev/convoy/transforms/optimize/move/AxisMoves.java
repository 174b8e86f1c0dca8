package dev.convoy.transforms.optimize.move;

import dev.convoy.ir.graph.Node;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Ops that act along one axis and keep the rank: Concat and Split (every piece carries {@code
 * p}), and Softmax, LogSoftmax and Hardmax from opset 13 (before it they flatten to 2-D around
 * the axis, which a permutation does not commute with). The axis follows: {@code a -> p[a]}.
 */
final class AxisMoves {
  private AxisMoves() {}

  static MovedOp move(Node n, long[] p) {
    switch (n.opType()) {
      case "Concat" -> {
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < n.inputCount(); i++) {
          if (n.input(i) == null || MovableOps.rank(n.input(i)) != p.length) {
            return null;
          }
          all.add(i);
        }
        return along(n, n.intAttr("axis", Long.MIN_VALUE), all, p);
      }
      case "Split" -> {
        return MovableOps.rank(n.input(0)) == p.length
            ? along(n, n.intAttr("axis", 0), List.of(0), p) : null;
      }
      case "Softmax", "LogSoftmax", "Hardmax" -> {
        return n.graph().opsetVersion("") >= 13 && MovableOps.rank(n.input(0)) == p.length
            ? along(n, n.intAttr("axis", -1), List.of(0), p) : null;
      }
      default -> {
        return null;
      }
    }
  }

  private static MovedOp along(Node n, long axis, List<Integer> layout, long[] p) {
    long[] a = axis == Long.MIN_VALUE ? null : Perms.mapAxes(new long[] {axis}, p);
    if (a == null) {
      return null;
    }
    return new MovedOp(layout, MovedOp.with(n, "axis", MovedOp.intAttr(a[0])), Map.of(),
        Collections.nCopies(n.outputCount(), p));
  }
}
