package dev.convoy.transforms.optimize.move;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.transforms.optimize.Facts;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Ops that only add or remove size-1 axes: Squeeze (its axes follow, {@code a -> p[a]}, and leave
 * the permutation, {@link Perms#dropAxes}), Unsqueeze (unchanged; the new axes join the
 * permutation in place, {@link Perms#insertAxes}) and a Reshape between static shapes that only
 * drops or inserts 1s, which moves as the Squeeze or Unsqueeze it is, or that merges and splits
 * axes which stay together when moved ({@link ReshapeGroups}).
 */
final class RankMoves {
  private RankMoves() {}

  static MovedOp move(Node n, long[] p) {
    if (MovableOps.rank(n.input(0)) != p.length) {
      return null;
    }
    return switch (n.opType()) {
      case "Squeeze" -> squeeze(n, p);
      case "Unsqueeze" -> unsqueeze(n, p);
      case "Reshape" -> reshape(n, p);
      default -> null;
    };
  }

  private static MovedOp squeeze(Node n, long[] p) {
    long[] axes = MovableOps.axes(n, "axes", 1);
    if (axes == null && !MovableOps.asInput(n, "axes", 1)) {
      long[] dims = Facts.staticDims(n.input(0));
      axes = dims == null ? null : ones(dims);
    }
    long[] original = axes == null ? null : Perms.mapAxes(axes, Perms.identity(p.length));
    if (original == null || !ReduceMoves.distinct(original)) {
      return null;
    }
    if (n.intsAttr("axes") == null && n.graph().opsetVersion("") >= 13) {
      long[] moved = Perms.mapAxes(original, p);
      return new MovedOp(List.of(0), n.attributes(),
          Map.of(1, Tensor.ofLongs(new long[] {moved.length}, moved)),
          List.of(Perms.dropAxes(p, original)));
    }
    return MovableOps.withInts(n, "axes", 1, Perms.mapAxes(original, p), List.of(0),
        List.of(Perms.dropAxes(p, original)));
  }

  private static MovedOp unsqueeze(Node n, long[] p) {
    long[] axes = MovableOps.axes(n, "axes", 1);
    if (axes == null) {
      return null;
    }
    long[] inserted = Perms.mapAxes(axes, Perms.identity(p.length + axes.length));
    if (inserted == null || !ReduceMoves.distinct(inserted)) {
      return null;
    }
    Arrays.sort(inserted);
    return MovedOp.unchanged(n, List.of(0), Perms.insertAxes(p, inserted));
  }

  /**
   * A static Reshape: one that drops or inserts only 1s, else one whose merged and split axes
   * stay together in the moved layout ({@link ReshapeGroups}).
   */
  private static MovedOp reshape(Node n, long[] p) {
    long[] in = Facts.staticDims(n.input(0));
    long[] out = Facts.staticDims(n.output(0));
    if (in == null || out == null || n.graph().opsetVersion("") < 5) {
      return null;
    }
    MovedOp ones = in.length == out.length ? null : onesOnly(n, p, in, out);
    return ones != null ? ones : ReshapeGroups.move(n, p, in, out);
  }

  private static MovedOp onesOnly(Node n, long[] p, long[] in, long[] out) {
    long[] moved = new long[p.length];
    for (int i = 0; i < p.length; i++) {
      moved[(int) p[i]] = in[i];
    }
    long[] outPerm;
    long[] shape;
    if (out.length < in.length) {
      long[] dropped = unmatchedOnes(in, out);
      if (dropped == null) {
        return null;
      }
      outPerm = Perms.dropAxes(p, dropped);
      shape = without(moved, Perms.mapAxes(dropped, p));
    } else {
      long[] inserted = unmatchedOnes(out, in);
      if (inserted == null) {
        return null;
      }
      outPerm = Perms.insertAxes(p, inserted);
      shape = new long[out.length];
      Arrays.fill(shape, 1);
      int k = 0;
      for (int j = 0; j < out.length; j++) {
        if (Arrays.binarySearch(inserted, j) < 0) {
          shape[j] = moved[k++];
        }
      }
    }
    return new MovedOp(List.of(0), n.attributes(),
        Map.of(1, Tensor.ofLongs(new long[] {shape.length}, shape)), List.of(outPerm));
  }

  /**
   * The axes of {@code longer} left over when {@code shorter} is matched against it in order,
   * if all of them are 1s; else null.
   */
  private static long[] unmatchedOnes(long[] longer, long[] shorter) {
    long[] extra = new long[longer.length - shorter.length];
    int j = 0;
    int e = 0;
    for (int i = 0; i < longer.length; i++) {
      if (j < shorter.length && longer[i] == shorter[j]) {
        j++;
      } else if (longer[i] == 1 && e < extra.length) {
        extra[e++] = i;
      } else {
        return null;
      }
    }
    return j == shorter.length && e == extra.length ? extra : null;
  }

  private static long[] ones(long[] dims) {
    return java.util.stream.IntStream.range(0, dims.length).filter(i -> dims[i] == 1)
        .mapToLong(i -> i).toArray();
  }

  private static long[] without(long[] dims, long[] axes) {
    long[] out = new long[dims.length - axes.length];
    int k = 0;
    for (int i = 0; i < dims.length; i++) {
      final int a = i;
      if (Arrays.stream(axes).noneMatch(x -> x == a)) {
        out[k++] = dims[i];
      }
    }
    return out;
  }
}
