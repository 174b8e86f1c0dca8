package dev.convoy.transforms.optimize.layout;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.move.Perms;
import java.util.List;
import java.util.Map;

/**
 * A channel shuffle on a layout-moved tensor becomes {@code convoy::ChannelShuffle} on the moved
 * axis and the layout's Transpose after it: {@code Reshape(Transpose(Reshape(x)))} where the first
 * Reshape splits axis {@code a} of {@code x} into {@code [g, C/g]}, the Transpose puts the two
 * halves side by side in swapped order ({@code ..., a+1, a, ...}) among other moved axes, and the
 * last Reshape merges exactly those two, is {@code Transpose(ChannelShuffle(x, a, g), Q)} with
 * {@code Q} the Transpose's permutation with the pair taken as one axis. ShuffleNet's shuffle
 * {@code [N,C,H,W] -> [N,g,C/g,H,W] -> perm (0,2,1,3,4) -> [N,C,H,W]} after the layout pass moved
 * an NHWC Transpose into it reads {@code [N,H,W,C] -> [N,H,W,g,C/g] -> perm (0,4,3,1,2)}: it
 * becomes a shuffle of the last axis and {@code Q = (0,3,1,2)}, a Transpose that sinks on through
 * the next unit, where no Reshape move could take the 5-D one (its merged axes are reversed).
 *
 * <p>It fires only on the {@code cvy} target and only when {@code Q} moves axes (a shuffle no
 * layout Transpose went through stays standard, so nothing changes where no Transpose can move).
 * Exact: the same elements are copied.
 */
public final class FuseChannelShuffle implements MatchingRule<FuseChannelShuffle.Shuffle> {
  public static final String NAME = "fuse-channel-shuffle";

  /**
   * What the rule found.
   *
   * @param x the unshuffled input
   * @param axis the shuffled axis of {@code x}
   * @param group the number of groups {@code g}
   * @param perm the Transpose after the shuffle, of {@code x}'s rank
   */
  public record Shuffle(Value x, int axis, long group, long[] perm) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Reshape");
  }

  @Override
  public Match<Shuffle> match(Node merge, Rewriter rw) {
    String name = merge.output(0).name();
    if (!rw.options().target().convoyOps()) {
      return Match.fail("the target has no convoy ops");
    }
    Node t = merge.input(0).producer();
    long[] p = t == null ? null : Perms.of(t);
    if (p == null) {
      return Match.fail(name + " does not reshape a Transpose");
    }
    Node split = t.input(0).producer();
    if (split == null || !split.domain().isEmpty() || !split.opType().equals("Reshape")) {
      return Match.fail(t.output(0).name() + " does not transpose a Reshape");
    }
    for (Value inner : List.of(t.output(0), split.output(0))) {
      if (inner.isGraphOutput()) {
        return Match.fail(inner.name() + " is a graph output");
      }
      if (inner.uses().size() != 1) {
        return Match.fail(inner.name() + " has another consumer");
      }
    }
    long[] x = Facts.staticDims(split.input(0));
    long[] y = Facts.staticDims(split.output(0));
    long[] z = Facts.staticDims(merge.output(0));
    if (x == null || y == null || z == null || y.length != x.length + 1
        || z.length != x.length || p.length != y.length) {
      return Match.fail(name + ": shapes are not static or the ranks do not split one axis");
    }
    int a = Facts.splitAxis(x, y);
    if (a < 0) {
      return Match.fail(split.output(0).name() + " does not split one axis in two");
    }
    int k = 0;
    while (k + 1 < p.length && !(p[k] == a + 1 && p[k + 1] == a)) {
      k++;
    }
    if (k + 1 >= p.length) {
      return Match.fail(t.output(0).name() + " does not swap the two halves of axis " + a);
    }
    long[] q = new long[x.length];
    for (int o = 0; o < q.length; o++) {
      long from = o < k ? p[o] : o == k ? a : p[o + 1];
      q[o] = from > a ? from - 1 : from;
    }
    for (int o = 0; o < q.length; o++) {
      if (z[o] != x[(int) q[o]]) {
        return Match.fail(name + " does not merge exactly the swapped halves");
      }
    }
    if (Facts.isIdentityPermutation(q)) {
      return Match.fail(name + ": a shuffle no layout Transpose moved through");
    }
    return Match.of(new Shuffle(split.input(0), a, y[a], q));
  }

  @Override
  public void apply(Node merge, Shuffle s, Rewriter rw) {
    Node shuffle = rw.insertBefore(merge, OpCatalog.CONVOY_DOMAIN, 1, "ChannelShuffle",
        List.of(s.x()), 1, Map.of("axis", new Attribute.IntAttr(s.axis()),
            "group", new Attribute.IntAttr(s.group())), merge.output(0).name() + "_shuffled");
    rw.setName(shuffle, merge.name());
    rw.inferTypes(shuffle);
    Node back = rw.insertBefore(merge, "Transpose", List.of(shuffle.output(0)), 1,
        Map.of("perm", new Attribute.IntsAttr(s.perm())), merge.output(0).name() + "_restored");
    rw.inferTypes(back);
    Node t = merge.input(0).producer();
    Node split = t.input(0).producer();
    rw.replaceNode(merge, List.of(back.output(0)));
    rw.erase(t);
    rw.erase(split);
  }
}
