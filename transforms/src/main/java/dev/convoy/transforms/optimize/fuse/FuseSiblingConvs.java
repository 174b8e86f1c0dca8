package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.ConstantConcat;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.move.SinkSplit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Convs that read the same input with the same attributes ({@code group=1}) and constant weights
 * of the same kernel are one Conv whose output channels are theirs side by side, then a
 * {@code Split} along the channels: every output element is the same dot product over the same
 * input window as before. Inception's 1x1 branches (three Convs on one input) become one Conv;
 * with {@code sink-split} their per-branch activations become one too.
 *
 * <p>Fires only where it saves nodes: three or more Convs (n Convs become two nodes), or two whose
 * outputs each feed the same op that {@code sink-split} then moves above the Split. Biases must be
 * all present or all absent (a zero bias added where there was none would turn {@code -0.0} into
 * {@code +0.0}).
 */
public final class FuseSiblingConvs implements MatchingRule<List<Node>> {
  public static final String NAME = "fuse-sibling-convs";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Conv");
  }

  @Override
  public Match<List<Node>> match(Node root, Rewriter rw) {
    if (!fusable(root)) {
      return Match.fail(root.name() + " is not a group-1 Conv with constant weights");
    }
    List<Node> siblings = SiblingSplit.siblings(root, n -> n.is("Conv") && fusable(n)
        && sameKernel(root, n));
    if (siblings.size() < 2) {
      return Match.fail("no other Conv reads " + root.input(0).name() + " the same way");
    }
    if (siblings.size() == 2 && !sameSoleReaders(siblings)) {
      return Match.fail("two Convs without the same op after each save no node");
    }
    return Match.of(siblings);
  }

  private static boolean fusable(Node n) {
    Value w = n.input(1);
    Value b = n.input(2);
    return n.domain().isEmpty() && n.intAttr("group", 1) == 1 && n.input(0) != null
        && n.output(0) != null
        && w != null && w.constant() != null && w.constant().rank() >= 3
        && (b == null || b.constant() != null) && n.outputCount() == 1;
  }

  private static boolean sameKernel(Node a, Node b) {
    Tensor wa = a.input(1).constant();
    Tensor wb = b.input(1).constant();
    Tensor ba = a.input(2) == null ? null : a.input(2).constant();
    Tensor bb = b.input(2) == null ? null : b.input(2).constant();
    return a.attributes().equals(b.attributes()) && wa.dtype() == wb.dtype()
        && Arrays.equals(Arrays.copyOfRange(wa.dims(), 1, wa.rank()),
            Arrays.copyOfRange(wb.dims(), 1, wb.rank()))
        && (ba == null) == (bb == null) && (ba == null || ba.dtype() == bb.dtype());
  }

  /** Each Conv's output has one reader, all of them the same op that {@link SinkSplit} moves. */
  private static boolean sameSoleReaders(List<Node> convs) {
    int rank = Facts.rank(convs.get(0).output(0));
    return rank > 1
        && SinkSplit.readers(convs.stream().map(c -> c.output(0)).toList(), 1, rank).ok();
  }

  @Override
  public void apply(Node root, List<Node> convs, Rewriter rw) {
    Node anchor = convs.get(0);
    var graph = anchor.graph();
    long[] sizes = new long[convs.size()];
    List<Tensor> weights = new ArrayList<>();
    List<Tensor> biases = new ArrayList<>();
    for (int i = 0; i < convs.size(); i++) {
      Node c = convs.get(i);
      sizes[i] = c.input(1).constant().dim(0);
      weights.add(c.input(1).constant());
      if (c.input(2) != null) {
        biases.add(c.input(2).constant());
      }
    }
    List<Value> inputs = new ArrayList<>(List.of(anchor.input(0),
        rw.constant(graph, ConstantConcat.of(weights, 0), anchor.input(1).name() + "_siblings")));
    if (!biases.isEmpty()) {
      inputs.add(rw.constant(graph, ConstantConcat.of(biases, 0),
          anchor.input(2).name() + "_siblings"));
    }
    Node conv = rw.insertBefore(anchor, "Conv", inputs, 1, anchor.attributes(),
        anchor.output(0).name() + "_siblings");
    rw.setName(conv, anchor.name());
    rw.inferTypes(conv);
    SiblingSplit.replace(convs, conv.output(0), sizes, 1, rw);
  }
}
