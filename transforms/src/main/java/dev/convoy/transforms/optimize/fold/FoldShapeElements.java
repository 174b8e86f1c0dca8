package dev.convoy.transforms.optimize.fold;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Rule;
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
public final class FoldShapeElements implements Rule {
  public static final String NAME = "fold-shape-elements";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Shape", "Gather", "Slice", "Concat", "Unsqueeze", "Squeeze", "Cast");
  }

  @Override
  public boolean matches(Node n, Rewriter rw) {
    int rank = Facts.rank(n.output(0));
    if (rank < 0 || rank > 1 || n.output(0).constant() != null) {
      return false;
    }
    var elements = ShapeElements.of(n.output(0));
    return ShapeElements.allNumbers(elements) && (rank == 1 || elements.size() == 1);
  }

  @Override
  public void rewrite(Node n, Rewriter rw) {
    long[] values = ShapeElements.numbers(ShapeElements.of(n.output(0)));
    long[] dims = Facts.rank(n.output(0)) == 0 ? new long[0] : new long[] {values.length};
    Tensor t = Facts.dtype(n.output(0)) == DType.INT32
        ? Tensor.ofInts(dims, Arrays.stream(values).mapToInt(Math::toIntExact).toArray())
        : Tensor.ofLongs(dims, values);
    rw.foldToConstants(n, List.of(t));
  }
}
