package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Use;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Slices of one value along one axis with constant bounds and step 1 that tile the axis exactly
 * ({@code [0, a), [a, b), ..., [z, dim)}, the axis size static) are one {@code Split} with those
 * sizes, each Slice's output becoming one of its outputs (ShuffleNet's channel split). Slices in
 * other graphs than the root's, or that overlap, leave gaps or run backwards, are left alone.
 */
public final class FuseSlicesToSplit implements MatchingRule<FuseSlicesToSplit.Found> {
  public static final String NAME = "fuse-slices-to-split";

  /** The Slices in axis order, their sizes, the axis and the node the Split goes before. */
  public record Found(List<Node> slices, long[] sizes, int axis, Node anchor) {}

  private record Piece(Node slice, int axis, long start, long end) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Slice");
  }

  @Override
  public Match<Found> match(Node root, Rewriter rw) {
    Value x = root.input(0);
    long[] dims = axisSizes(x);
    Piece first = piece(root, dims);
    if (first == null) {
      return Match.fail("the Slice is not along one axis of static size with constant bounds and"
          + " step 1");
    }
    List<Piece> pieces = new ArrayList<>();
    for (Use u : x.uses()) {
      Node n = u.node();
      if (n.is("Slice") && n.domain().isEmpty() && n.graph() == root.graph() && u.index() == 0
          && pieces.stream().noneMatch(p -> p.slice() == n)) {
        Piece p = piece(n, dims);
        if (p != null && p.axis() == first.axis()) {
          pieces.add(p);
        }
      }
    }
    pieces.sort(Comparator.comparingLong(Piece::start));
    if (pieces.size() < 2) {
      return Match.fail("no other Slice of " + x.name() + " along axis " + first.axis());
    }
    long at = 0;
    long[] sizes = new long[pieces.size()];
    for (int i = 0; i < pieces.size(); i++) {
      Piece p = pieces.get(i);
      if (p.start() != at || p.end() <= p.start()) {
        return Match.fail("the Slices of " + x.name() + " do not tile axis " + first.axis());
      }
      sizes[i] = p.end() - p.start();
      at = p.end();
    }
    if (at != dims[first.axis()]) {
      return Match.fail("the Slices of " + x.name() + " do not cover axis " + first.axis());
    }
    List<Node> order = root.graph().nodes();
    Node anchor = pieces.stream().map(Piece::slice)
        .min(Comparator.comparingInt(order::indexOf)).orElseThrow();
    return Match.of(new Found(pieces.stream().map(Piece::slice).toList(), sizes, first.axis(),
        anchor));
  }

  /** The sizes of x's dims, -1 where not static; null when the rank is unknown. */
  private static long[] axisSizes(Value x) {
    var shape = Facts.shape(x);
    if (shape == null || !shape.hasRank()) {
      return null;
    }
    long[] dims = new long[shape.rank()];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = shape.dim(i).isStatic() ? shape.dim(i).size() : -1;
    }
    return dims;
  }

  /** The one axis and clamped bounds of a step-1 Slice with constant bounds, or null. */
  private static Piece piece(Node slice, long[] dims) {
    if (dims == null) {
      return null;
    }
    long[] starts = Facts.attrOrInput(slice, "starts", 1, null);
    long[] ends = Facts.attrOrInput(slice, "ends", 2, null);
    long[] axes = Facts.attrOrInput(slice, "axes", 3, null);
    long[] steps = Facts.attrOrInput(slice, "steps", 4, new long[] {1});
    if (starts == null || ends == null || starts.length != 1 || ends.length != 1
        || steps == null || steps.length != 1 || steps[0] != 1
        || (axes != null && axes.length != 1)) {
      return null;
    }
    long axis = axes == null ? 0 : axes[0];
    if (axis < 0) {
      axis += dims.length;
    }
    if (axis < 0 || axis >= dims.length) {
      return null;
    }
    long dim = dims[(int) axis];
    if (dim < 0) {
      return null;
    }
    return new Piece(slice, (int) axis, clamp(starts[0], dim), clamp(ends[0], dim));
  }

  private static long clamp(long i, long dim) {
    long v = i < 0 ? i + dim : i;
    return Math.max(0, Math.min(dim, v));
  }

  @Override
  public void apply(Node root, Found m, Rewriter rw) {
    Node anchor = m.anchor();
    Value x = root.input(0);
    List<Value> inputs = new ArrayList<>(List.of(x));
    Map<String, Attribute> attrs;
    if (root.graph().opsetVersion("") >= 13) {
      inputs.add(rw.constant(root.graph(),
          Tensor.ofLongs(new long[] {m.sizes().length}, m.sizes()), x.name() + "_split"));
      attrs = Map.of("axis", new Attribute.IntAttr(m.axis()));
    } else {
      attrs = Map.of("axis", new Attribute.IntAttr(m.axis()),
          "split", new Attribute.IntsAttr(m.sizes()));
    }
    Node split = rw.insertBefore(anchor, "Split", inputs, m.slices().size(), attrs,
        x.name() + "_part");
    rw.setName(split, anchor.name());
    for (int i = 0; i < m.slices().size(); i++) {
      Node s = m.slices().get(i);
      rw.setType(split.output(i), s.output(0).type());
      rw.replace(s.output(0), split.output(i));
    }
    m.slices().forEach(rw::erase);
  }
}
