package dev.convoy.transforms.optimize.fold;

import dev.convoy.ir.graph.DType;
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
 * Shape arithmetic whose result is known although the shapes it reads are not all static: {@code
 * Gather(Shape(x), 2)} of a static dim 2 of an {@code [N, seq, 384]} tensor is 384, {@code
 * Shape(x, start=1)} of {@code [N, 3, 224, 224]} is {@code [3, 224, 224]}, a {@code Concat} of such
 * pieces is a constant, in int64 or (after a Cast) int32 ({@link ShapeElements} reads the elements
 * back through the arithmetic).
 * Fully static {@code Shape}/{@code Size} stay with {@link FoldStaticShape}.
 */
public final class FoldShapeElements implements MatchingRule<long[]> {
  public static final String NAME = "fold-shape-elements";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Shape", "Gather", "Slice", "Concat", "Unsqueeze", "Squeeze", "Cast");
  }

  /** The output's elements, all known numbers, or why they are not. */
  @Override
  public Match<long[]> match(Node n, Rewriter rw) {
    int rank = Facts.rank(n.output(0));
    if (rank < 0 || rank > 1 || n.output(0).constant() != null) {
      return Match.fail(n.output(0).name() + " is not an unfolded scalar or vector");
    }
    var elements = ShapeElements.of(n.output(0));
    if (!ShapeElements.allNumbers(elements) || (rank == 0 && elements.size() != 1)) {
      return Match.fail(n.output(0).name() + " has an element that is not a known number");
    }
    return Match.of(ShapeElements.numbers(elements));
  }

  @Override
  public void apply(Node n, long[] values, Rewriter rw) {
    long[] dims = Facts.rank(n.output(0)) == 0 ? new long[0] : new long[] {values.length};
    Tensor t = Facts.dtype(n.output(0)) == DType.INT32
        ? Tensor.ofInts(dims, Arrays.stream(values).mapToInt(Math::toIntExact).toArray())
        : Tensor.ofLongs(dims, values);
    rw.foldToConstants(n, List.of(t));
  }
}
