package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.Pattern;

/**
 * {@code Slice(Concat(a, b, ..., axis=k), start, end, axes=[k])} with step 1 that cuts out
 * exactly one of the parts is that part. Needs the static sizes along {@code k} of the parts up to
 * the one chosen, and non-negative starts and ends (opset 10+ inputs or older attributes).
 */
public final class EliminateConcatSlice implements Forwarding {
  public static final String NAME = "eliminate-concat-slice";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Slice");
  }

  /** The Concat input the Slice takes whole, or why it takes none. */
  @Override
  public Match<Value> same(Node slice) {
    Node concat = slice.input(0) == null ? null : slice.input(0).producer();
    if (concat == null || !concat.is("Concat")) {
      return Match.fail("the input is not produced by Concat");
    }
    long[] starts = Facts.attrOrInput(slice, "starts", 1, null);
    long[] ends = Facts.attrOrInput(slice, "ends", 2, null);
    long[] axes = Facts.attrOrInput(slice, "axes", 3, new long[] {0});
    long[] steps = Facts.attrOrInput(slice, "steps", 4, new long[] {1});
    int rank = Facts.rank(concat.output(0));
    if (starts == null || ends == null || axes == null || steps == null || rank < 0
        || starts.length != 1 || ends.length != 1 || axes.length != 1 || steps.length != 1
        || steps[0] != 1 || starts[0] < 0 || ends[0] < 0) {
      return Match.fail("not one constant non-negative slice with step 1");
    }
    long axis = normalized(concat.intAttr("axis", 0), rank);
    if (normalized(axes[0], rank) != axis) {
      return Match.fail("the Slice's axis is not the Concat's");
    }
    long offset = 0;
    for (Value in : concat.inputs()) {
      long[] dims = Facts.staticDims(in);
      if (in == null || dims == null || dims.length != rank) {
        return Match.fail("a Concat input's shape is not static");
      }
      long size = dims[(int) axis];
      if (offset == starts[0] && offset + size == ends[0]) {
        return Match.of(in);
      }
      offset += size;
    }
    return Match.fail("the Slice takes no Concat input whole");
  }

  private static long normalized(long axis, int rank) {
    return axis < 0 ? axis + rank : axis;
  }
}
