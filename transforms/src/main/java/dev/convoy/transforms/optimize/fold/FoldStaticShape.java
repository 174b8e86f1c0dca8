package dev.convoy.transforms.optimize.fold;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.Arrays;
import java.util.List;

/**
 * {@code Shape} and {@code Size} of a value whose shape is static are constants, whether or not
 * the value itself is: this is what lets whole shape computations collapse once input shapes are
 * fixed. Honors Shape's {@code start}/{@code end} (opset 15).
 */
public final class FoldStaticShape implements MatchingRule<long[]> {
  public static final String NAME = "fold-static-shape";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Shape", "Size");
  }

  /** The input's static dims, or why they are not known. */
  @Override
  public Match<long[]> match(Node n, Rewriter rw) {
    long[] dims = Facts.staticDims(n.input(0));
    return dims != null ? Match.of(dims)
        : Match.fail(n.opType() + " of a value whose shape is not static");
  }

  @Override
  public void apply(Node n, long[] dims, Rewriter rw) {
    Tensor t;
    if (n.is("Size")) {
      t = Tensor.ofLongs(new long[0], Tensor.numElements(dims));
    } else {
      int r = dims.length;
      long start = clamp(n.intAttr("start", 0), r);
      long end = clamp(n.intAttr("end", r), r);
      long[] part = Arrays.copyOfRange(dims, (int) start, (int) Math.max(start, end));
      t = Tensor.ofLongs(new long[] {part.length}, part);
    }
    rw.foldToConstants(n, List.of(t));
  }

  private static long clamp(long axis, int rank) {
    long a = axis < 0 ? axis + rank : axis;
    return Math.max(0, Math.min(rank, a));
  }
}
