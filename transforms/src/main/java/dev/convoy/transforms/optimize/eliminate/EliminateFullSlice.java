package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.Pattern;

/**
 * {@code Slice} that keeps every element: on each sliced axis the step is 1, the start is 0 and
 * the end reaches the dim (a static size it meets, or, for a dim not known, an end at least
 * INT32_MAX, the usual "to the end" value). Starts and ends are attributes before opset 10 and
 * constant inputs after.
 */
public final class EliminateFullSlice implements Forwarding {
  public static final String NAME = "eliminate-full-slice";

  private static final long TO_THE_END = Integer.MAX_VALUE;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Slice");
  }

  @Override
  public Match<Value> same(Node n) {
    long[] starts = Facts.attrOrInput(n, "starts", 1, null);
    long[] ends = Facts.attrOrInput(n, "ends", 2, null);
    Shape in = Facts.shape(n.input(0));
    if (starts == null || ends == null || starts.length != ends.length || in == null
        || !in.hasRank()) {
      return Match.fail("starts or ends are not constant, or the input's rank is unknown");
    }
    long[] defaultAxes = new long[starts.length];
    for (int i = 0; i < defaultAxes.length; i++) {
      defaultAxes[i] = i;
    }
    long[] axes = Facts.attrOrInput(n, "axes", 3, defaultAxes);
    long[] steps = n.input(4) == null ? null : Facts.constLongs(n.input(4));
    if (axes == null || axes.length != starts.length || (n.input(4) != null && steps == null)) {
      return Match.fail("the axes or steps are not constant");
    }
    for (int i = 0; i < starts.length; i++) {
      long axis = axes[i] < 0 ? axes[i] + in.rank() : axes[i];
      if (axis < 0 || axis >= in.rank() || starts[i] != 0 || (steps != null && steps[i] != 1)) {
        return Match.fail("slice " + i + " does not start at 0 with step 1 on a valid axis");
      }
      Dim d = in.dim((int) axis);
      if (!(ends[i] >= TO_THE_END || (d.isStatic() && ends[i] >= d.size()))) {
        return Match.fail("slice " + i + " may end before the axis does");
      }
    }
    return Match.of(n.input(0));
  }
}
