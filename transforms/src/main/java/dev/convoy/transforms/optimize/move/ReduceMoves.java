package dev.convoy.transforms.optimize.move;

import dev.convoy.ir.graph.Node;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reductions reduce the same data on moved inputs when their axes follow ({@code a -> p[a]}).
 * With kept dims the output carries {@code p}; without, the reduced axes leave the permutation
 * ({@link Perms#dropAxes}). Reducing every axis (no axes given) needs no change at all.
 */
final class ReduceMoves {
  private ReduceMoves() {}

  private static final Set<String> REDUCE = Set.of(
      "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
      "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare");

  static MovedOp move(Node n, long[] p) {
    String op = n.opType();
    if (op.equals("ArgMax") || op.equals("ArgMin")) {
      long[] axis = Perms.mapAxes(new long[] {n.intAttr("axis", 0)}, p);
      if (axis == null || MovableOps.rank(n.input(0)) != p.length) {
        return null;
      }
      long[] original = Perms.mapAxes(new long[] {n.intAttr("axis", 0)}, Perms.identity(p.length));
      long[] out = n.intAttr("keepdims", 1) != 0 ? p : Perms.dropAxes(p, original);
      return new MovedOp(List.of(0), MovedOp.with(n, "axis", MovedOp.intAttr(axis[0])), Map.of(),
          List.of(out));
    }
    if (!REDUCE.contains(op) || MovableOps.rank(n.input(0)) != p.length) {
      return null;
    }
    boolean given = n.intsAttr("axes") != null || n.inputCount() > 1 && n.input(1) != null;
    boolean keep = n.intAttr("keepdims", 1) != 0;
    if (!given) {
      if (n.intAttr("noop_with_empty_axes", 0) != 0) {
        return MovedOp.unchanged(n, List.of(0), p);
      }
      return new MovedOp(List.of(0), n.attributes(), Map.of(),
          List.of(keep ? p : new long[0]));
    }
    long[] axes = MovableOps.axes(n, "axes", 1);
    if (axes == null) {
      return null;
    }
    if (axes.length == 0) {
      return n.intAttr("noop_with_empty_axes", 0) != 0
          ? MovedOp.unchanged(n, List.of(0), p)
          : new MovedOp(List.of(0), n.attributes(), Map.of(), List.of(keep ? p : new long[0]));
    }
    long[] moved = Perms.mapAxes(axes, p);
    long[] original = Perms.mapAxes(axes, Perms.identity(p.length));
    if (moved == null || !distinct(original)) {
      return null;
    }
    long[] out = keep ? p : Perms.dropAxes(p, original);
    return MovableOps.withInts(n, "axes", 1, moved, List.of(0),
        Collections.nCopies(n.outputCount(), out));
  }

  static boolean distinct(long[] axes) {
    return java.util.Arrays.stream(axes).distinct().count() == axes.length;
  }
}
