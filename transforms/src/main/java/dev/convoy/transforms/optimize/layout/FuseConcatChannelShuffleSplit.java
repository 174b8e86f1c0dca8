package dev.convoy.transforms.optimize.layout;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Matchers;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.fuse.FuseConcatShuffleSplit;
import dev.convoy.transforms.optimize.fuse.FuseConcatShuffleSplit.Found;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * O3's form of ShuffleNet V2's unit tail: {@code convoy::ChannelShuffle} (which {@code
 * fuse-channel-shuffle} makes of the shuffle once the layout pass moved it to the channels-last
 * axis) takes in the Concat along its axis that made its input and the Split along the same axis
 * into equal parts that reads it, where each is the other's sole reader, and becomes {@code
 * convoy::ConcatShuffleSplit}: the three copies of every element (Concat, shuffle, Split) become
 * one, as {@code fuse-concat-shuffle-split} makes them below O3 from the standard shuffle. Fires
 * when at least the Concat or the Split is there (a shuffle alone is already one copy), only for
 * targets with convoy ops. Exact: the same elements are copied.
 */
public final class FuseConcatChannelShuffleSplit implements MatchingRule<Found> {
  public static final String NAME = "fuse-concat-channel-shuffle-split";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return new Pattern(OpCatalog.CONVOY_DOMAIN, Set.of("ChannelShuffle"));
  }

  @Override
  public Match<Found> match(Node shuffle, Rewriter rw) {
    if (!rw.options().target().convoyOps()) {
      return Match.fail("the target has no convoy ops");
    }
    String name = shuffle.output(0).name();
    long[] x = Facts.staticDims(shuffle.input(0));
    if (x == null || shuffle.outputCount() != 1) {
      return Match.fail(name + ": the shuffled shape is not static");
    }
    int a = Facts.axis(shuffle, Integer.MIN_VALUE, x.length);
    long group = shuffle.intAttr("group", 0);
    if (a < 0 || a >= x.length || group <= 0 || x[a] % group != 0) {
      return Match.fail(name + ": axis or group does not fit the shape");
    }
    List<Node> matched = new ArrayList<>();
    List<Value> outputs = List.of(shuffle.output(0));
    Node parts = Facts.equalSplitReading(shuffle.output(0), a, x);
    String noSplit = Matchers.notSoleUse(shuffle.output(0), 1);
    if (parts != null) {
      matched.add(parts);
      outputs = parts.outputs();
    } else if (noSplit == null) {
      noSplit = name + " is not cut into equal parts along axis " + a + " by a Split";
    }
    matched.add(shuffle);
    List<Value> inputs = List.of(shuffle.input(0));
    Node cat = shuffle.input(0).producer();
    String noConcat = Matchers.notSoleUse(shuffle.input(0), 1);
    if (cat == null || cat.graph() != shuffle.graph() || !cat.domain().isEmpty()
        || !cat.is("Concat") || Facts.axis(cat, Integer.MIN_VALUE, x.length) != a
        || cat.inputs().contains(null)) {
      noConcat = shuffle.input(0).name() + " is not made by a Concat along axis " + a;
    } else if (noConcat == null) {
      matched.add(cat);
      inputs = cat.inputs();
    }
    if (matched.size() == 1) {
      return Match.fail(noConcat + "; " + noSplit);
    }
    return Match.of(new Found(inputs, outputs, a, group, matched));
  }

  @Override
  public void apply(Node shuffle, Found f, Rewriter rw) {
    FuseConcatShuffleSplit.fuse(shuffle, f, rw);
  }
}
