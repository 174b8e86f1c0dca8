package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Matchers;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.move.Perms;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * ShuffleNet V2's channel shuffle, {@code Reshape(Transpose(Reshape(x)))} where the first Reshape
 * splits axis {@code a} of {@code x} into {@code [g, C/g]} (static shapes), the Transpose swaps
 * exactly those two and the last Reshape merges them back into {@code x}'s shape, becomes {@code
 * convoy::ConcatShuffleSplit}; it takes in the Concat along {@code a} that made {@code x} and the
 * Split along {@code a} into equal parts that reads the shuffle, where each is the other's sole
 * reader. The unit's three copies of every element (Concat, Transpose, Split) become one. Only
 * for the {@code cvy} target below O3 (O3's layout pass moves the shuffle itself, {@code
 * fuse-channel-shuffle}). Exact: the same elements are copied.
 */
public final class FuseConcatShuffleSplit implements MatchingRule<FuseConcatShuffleSplit.Found> {
  public static final String NAME = "fuse-concat-shuffle-split";

  /**
   * What the rule found: the fused op's inputs and outputs, the axis and group, and the nodes it
   * replaces (readers first).
   */
  public record Found(List<Value> inputs, List<Value> outputs, int axis, long group,
      List<Node> matched) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Reshape");
  }

  @Override
  public Match<Found> match(Node merge, Rewriter rw) {
    String gate = Matchers.notNchwConvoy(rw, "O3's layout pass moves the shuffle");
    if (gate != null) {
      return Match.fail(gate);
    }
    String name = merge.output(0).name();
    Node t = merge.input(0).producer();
    long[] perm = t == null || t.graph() != merge.graph() ? null : Perms.of(t);
    if (perm == null) {
      return Match.fail(name + " does not reshape a Transpose");
    }
    Node split = t.input(0).producer();
    if (split == null || split.graph() != merge.graph() || !split.domain().isEmpty()
        || !split.is("Reshape")) {
      return Match.fail(t.output(0).name() + " does not transpose a Reshape");
    }
    for (Value inner : List.of(t.output(0), split.output(0))) {
      String notSole = Matchers.notSoleUse(inner, 1);
      if (notSole != null) {
        return Match.fail(notSole);
      }
    }
    long[] x = Facts.staticDims(split.input(0));
    long[] y = Facts.staticDims(split.output(0));
    long[] z = Facts.staticDims(merge.output(0));
    if (x == null || y == null || !Arrays.equals(x, z) || y.length != x.length + 1) {
      return Match.fail(name + ": shapes are not static, or it does not restore the shape "
          + "that was split");
    }
    int a = Facts.splitAxis(x, y);
    if (a < 0) {
      return Match.fail(split.output(0).name() + " does not split one axis in two");
    }
    for (int i = 0; i < perm.length; i++) {
      long want = i == a ? a + 1 : i == a + 1 ? a : i;
      if (perm[i] != want) {
        return Match.fail(t.output(0).name() + " does not swap exactly the two halves of axis "
            + a);
      }
    }
    List<Node> matched = new ArrayList<>();
    List<Value> outputs = List.of(merge.output(0));
    Node parts = Facts.equalSplitReading(merge.output(0), a, x);
    if (parts != null) {
      matched.add(parts);
      outputs = parts.outputs();
    }
    matched.addAll(List.of(merge, t, split));
    List<Value> inputs = List.of(split.input(0));
    Node cat = split.input(0).producer();
    if (cat != null && cat.graph() == merge.graph() && cat.domain().isEmpty() && cat.is("Concat")
        && Matchers.notSoleUse(split.input(0), 1) == null
        && Facts.axis(cat, 1, x.length) == a && !cat.inputs().contains(null)) {
      matched.add(cat);
      inputs = cat.inputs();
    }
    return Match.of(new Found(inputs, outputs, a, y[a], matched));
  }

  @Override
  public void apply(Node merge, Found f, Rewriter rw) {
    fuse(merge, f, rw);
  }

  /**
   * Replaces what {@code f} matched by one {@code convoy::ConcatShuffleSplit} placed at and named
   * after {@code anchor} (also how O3's {@code fuse-concat-channel-shuffle-split} rewrites).
   */
  public static void fuse(Node anchor, Found f, Rewriter rw) {
    rw.fuse(anchor, f.matched(), OpCatalog.CONVOY_DOMAIN, 1, "ConcatShuffleSplit", f.inputs(),
        Map.of("axis", new Attribute.IntAttr(f.axis()), "group", new Attribute.IntAttr(f.group())),
        anchor.name(), f.outputs());
  }
}
