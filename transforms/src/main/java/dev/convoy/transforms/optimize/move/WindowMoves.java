package dev.convoy.transforms.optimize.move;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.transforms.optimize.Facts;
import java.util.List;
import java.util.Map;

/**
 * Ops that cut or grow each axis on its own: Pad (the begin and end pads of axis {@code a} move to
 * axis {@code p[a]}, or its axes input follows) and Slice (its axes follow; absent axes are the
 * leading ones, made explicit). Every output carries {@code p}.
 */
final class WindowMoves {
  private WindowMoves() {}

  static MovedOp move(Node n, long[] p) {
    if (MovableOps.rank(n.input(0)) != p.length) {
      return null;
    }
    return switch (n.opType()) {
      case "Pad" -> pad(n, p);
      case "Slice" -> slice(n, p);
      default -> null;
    };
  }

  private static MovedOp pad(Node n, long[] p) {
    List<long[]> out = List.of(p);
    if (n.inputCount() > 3 && n.input(3) != null) {
      long[] axes = Facts.constLongs(n.input(3));
      long[] moved = axes == null ? null : Perms.mapAxes(axes, p);
      return moved == null ? null
          : new MovedOp(List.of(0), n.attributes(),
              Map.of(3, Tensor.ofLongs(new long[] {moved.length}, moved)), out);
    }
    long[] pads = MovableOps.axes(n, "pads", 1);
    int r = p.length;
    if (pads == null || pads.length != 2 * r) {
      return null;
    }
    long[] moved = new long[2 * r];
    for (int i = 0; i < r; i++) {
      moved[(int) p[i]] = pads[i];
      moved[r + (int) p[i]] = pads[r + i];
    }
    return MovableOps.withInts(n, "pads", 1, moved, List.of(0), out);
  }

  private static MovedOp slice(Node n, long[] p) {
    List<long[]> out = List.of(p);
    if (n.graph().opsetVersion("") < 10) {
      long[] starts = n.intsAttr("starts");
      long[] axes = n.intsAttr("axes");
      if (starts == null) {
        return null;
      }
      long[] moved = Perms.mapAxes(axes == null ? Perms.identity(starts.length) : axes, p);
      return moved == null ? null : new MovedOp(List.of(0),
          MovedOp.with(n, "axes", new Attribute.IntsAttr(moved)), Map.of(), out);
    }
    long[] axes;
    if (n.inputCount() > 3 && n.input(3) != null) {
      axes = Facts.constLongs(n.input(3));
    } else {
      long[] starts = Facts.staticDims(n.input(1));
      axes = starts == null || starts.length != 1 ? null : Perms.identity((int) starts[0]);
    }
    long[] moved = axes == null ? null : Perms.mapAxes(axes, p);
    return moved == null ? null : new MovedOp(List.of(0), n.attributes(),
        Map.of(3, Tensor.ofLongs(new long[] {moved.length}, moved)), out);
  }
}
