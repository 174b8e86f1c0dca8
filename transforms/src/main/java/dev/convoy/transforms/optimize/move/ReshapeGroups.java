package dev.convoy.transforms.optimize.move;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * A static Reshape that splits or merges axes on permuted data. Any Reshape factors into
 * consecutive groups of input axes that each become a consecutive group of output axes with the
 * same element count ({@code [N, 2, 24, H, W] -> [N, 48, H, W]}: {@code {N}->{N}}, {@code
 * {2, 24}->{48}}, {@code {H}->{H}}, {@code {W}->{W}}). When every group's axes sit side by side
 * and in order in the moved layout, the same merges and splits can run there: the moved Reshape
 * lists each group's output dims in the moved order of the groups, and the output carries the
 * permutation of the groups. This moves a Transpose through ShuffleNet's channel shuffle and
 * through the {@code [N, C, H, W] -> [N, C, H*W]} heads of detectors.
 */
final class ReshapeGroups {
  private ReshapeGroups() {}

  /** One group: input axes {@code [inFrom, inTo)} become output axes {@code [outFrom, outTo)}. */
  private record Group(int inFrom, int inTo, int outFrom, int outTo) {}

  /**
   * The move of a Reshape from static {@code in} to static {@code out} dims whose input carries
   * {@code p}, or null when a group is split in the moved layout (or a dim is empty).
   */
  static MovedOp move(Node n, long[] p, long[] in, long[] out) {
    List<Group> groups = groups(in, out);
    if (groups == null) {
      return null;
    }
    for (Group g : groups) {
      for (int k = g.inFrom + 1; k < g.inTo; k++) {
        if (p[k] != p[k - 1] + 1) {
          return null;
        }
      }
    }
    List<Group> moved = new ArrayList<>(groups);
    moved.sort(Comparator.comparingLong(g -> p[g.inFrom]));
    long[] shape = new long[out.length];
    long[] q = new long[out.length];
    int at = 0;
    for (Group g : moved) {
      for (int o = g.outFrom; o < g.outTo; o++, at++) {
        shape[at] = out[o];
        q[o] = at;
      }
    }
    return new MovedOp(List.of(0), n.attributes(),
        Map.of(1, Tensor.ofLongs(new long[] {shape.length}, shape)), List.of(q));
  }

  /** The finest grouping of {@code in} into {@code out}, or null (empty dims, empty groups). */
  private static List<Group> groups(long[] in, long[] out) {
    for (long d : in) {
      if (d <= 0) {
        return null;
      }
    }
    List<Group> groups = new ArrayList<>();
    int i = 0;
    int j = 0;
    while (i < in.length && j < out.length) {
      int i0 = i;
      int j0 = j;
      long a = in[i++];
      long b = out[j++];
      while (a != b) {
        if (a < b && i < in.length) {
          a *= in[i++];
        } else if (b < a && j < out.length) {
          b *= out[j++];
        } else {
          return null;
        }
      }
      groups.add(new Group(i0, i, j0, j));
    }
    return i == in.length && j == out.length ? groups : null;
  }
}
