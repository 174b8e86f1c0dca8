package dev.convoy.transforms.optimize.move;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Use;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.ConstantConcat;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@code Split} whose every output feeds the same op (same type, attributes and other operands)
 * moves below it: {@code f(Split(x))} is {@code Split(f(x))}, one {@code f} for n. Exact where
 * {@code f} maps each element on its own (an elementwise op whose other operands are one scalar
 * shared by all, or, for a split along the last axis, one vector per part as long as the part,
 * which are joined in part order) or only moves elements ({@code Transpose}, {@code Unsqueeze},
 * the split axis renumbered). Inception's sibling branches
 * after {@code fuse-sibling-convs} ({@code Relu} per branch) and a spectrogram's real and
 * imaginary parts ({@code Unsqueeze -> Transpose -> Pow} per part) become one chain.
 */
public final class SinkSplit implements MatchingRule<SinkSplit.Found> {
  public static final String NAME = "sink-split";

  /**
   * The consumers in output order, the operand they read the parts at, the new split axis, the
   * operands that hold one vector per part, and the consumer the moved nodes go before.
   */
  public record Found(
      List<Node> consumers, int splitIndex, int axis, List<Integer> perPart, Node anchor) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Split");
  }

  @Override
  public Match<Found> match(Node split, Rewriter rw) {
    int rank = Facts.rank(split.input(0));
    if (!split.domain().isEmpty() || rank < 0) {
      return Match.fail("the Split's input has no known rank");
    }
    int axis = (int) split.intAttr("axis", 0);
    return readers(split.outputs(), axis < 0 ? axis + rank : axis, rank);
  }

  /**
   * The readers of {@code parts} (the pieces of a rank-{@code rank} value cut along {@code axis})
   * when each piece has one, in its graph, and all are the same op this rule moves; else why not.
   */
  public static Match<Found> readers(List<Value> parts, int axis, int rank) {
    List<Node> consumers = new ArrayList<>();
    int index = -1;
    for (Value out : parts) {
      if (out == null) {
        return Match.fail("a part is omitted");
      }
      if (out.isGraphOutput()) {
        return Match.fail(out.name() + " is a graph output");
      }
      if (out.uses().size() != 1) {
        return Match.fail(out.name() + " has another consumer");
      }
      Use u = out.uses().get(0);
      if (u.node().graph() != out.owner() || (index >= 0 && u.index() != index)) {
        return Match.fail("the Split's readers read it at different operands or in a subgraph");
      }
      index = u.index();
      consumers.add(u.node());
    }
    Node first = consumers.get(0);
    for (Node c : consumers) {
      if (!sameOp(first, c)) {
        return Match.fail(c.name() + " is not the same op as " + first.name());
      }
    }
    List<Node> order = first.graph().nodes();
    Node anchor = consumers.stream().min(Comparator.comparingInt(order::indexOf)).orElseThrow();
    List<Integer> perPart = new ArrayList<>();
    for (int j = 0; j < first.inputCount(); j++) {
      if (j == index || sameOperand(consumers, j, rank)) {
        continue;
      }
      if (!ElementwiseMoves.isElementwise(first.opType())
          || !vectorPerPart(consumers, parts, j, axis, rank, order.indexOf(anchor))) {
        return Match.fail(first.opType() + " " + first.name() + " reads operand " + j
            + " that differs between the parts or could broadcast along the split axis");
      }
      perPart.add(j);
    }
    int moved = movedAxis(first, index, axis, rank);
    return moved < 0
        ? Match.fail(first.opType() + " " + first.name() + " does not map elements one to one")
        : Match.of(new Found(consumers, index, moved, perPart, anchor));
  }

  /** Same domain, op and attributes, one output, no subgraphs. */
  private static boolean sameOp(Node a, Node b) {
    return a.domain().isEmpty() && b.domain().isEmpty() && a.opType().equals(b.opType())
        && a.attributes().equals(b.attributes()) && a.inputCount() == b.inputCount()
        && a.outputCount() == 1 && b.outputCount() == 1 && a.subgraphs().isEmpty();
  }

  /** Operand {@code j} is one value for all, and a scalar where the op is elementwise. */
  private static boolean sameOperand(List<Node> consumers, int j, int rank) {
    Value v = consumers.get(0).input(j);
    for (Node c : consumers) {
      if (c.input(j) != v) {
        return false;
      }
    }
    return v == null || !ElementwiseMoves.isElementwise(consumers.get(0).opType())
        || sharedScalar(v, rank);
  }

  /**
   * Operand {@code j} of each consumer is a vector as long as its part along the split axis, the
   * last one (so it broadcasts along that axis only), defined before the anchor at {@code before}.
   */
  private static boolean vectorPerPart(
      List<Node> consumers, List<Value> parts, int j, int axis, int rank, int before) {
    if (axis != rank - 1) {
      return false;
    }
    List<Node> order = consumers.get(0).graph().nodes();
    for (int i = 0; i < consumers.size(); i++) {
      Value v = consumers.get(i).input(j);
      long[] dims = v == null ? null : Facts.staticDims(v);
      var part = Facts.shape(parts.get(i));
      long size = part != null && part.hasRank() && part.rank() == rank
          && part.dim(axis).isStatic() ? part.dim(axis).size() : -1;
      if (dims == null || dims.length != 1 || dims[0] != size || size < 1
          || Facts.dtype(v) == null || Facts.dtype(v) != Facts.dtype(consumers.get(0).input(j))
          || (v.producer() != null && order.indexOf(v.producer()) > before)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Where the split axis lands after {@code op} (read at operand {@code index}), or -1 when the op
   * is not one this rule moves.
   */
  private static int movedAxis(Node op, int index, int axis, int rank) {
    if (ElementwiseMoves.isElementwise(op.opType())) {
      return axis;
    }
    if (index != 0) {
      return -1;
    }
    if (op.is("Transpose")) {
      long[] perm = op.intsAttr("perm");
      if (perm == null || perm.length != rank) {
        return -1;
      }
      for (int j = 0; j < perm.length; j++) {
        if (perm[j] == axis) {
          return j;
        }
      }
      return -1;
    }
    if (op.is("Unsqueeze")) {
      long[] axes = Facts.attrOrInput(op, "axes", 1, null);
      if (axes == null) {
        return -1;
      }
      int outRank = rank + axes.length;
      long[] norm = Facts.normalizeAxes(axes, outRank);
      if (norm == null) {
        return -1;
      }
      Set<Long> inserted = new java.util.HashSet<>();
      for (long a : norm) {
        inserted.add(a);
      }
      int seen = 0;
      for (int j = 0; j < outRank; j++) {
        if (!inserted.contains((long) j) && seen++ == axis) {
          return j;
        }
      }
    }
    return -1;
  }

  /** The per-part vectors of operand {@code j}, joined: a constant, or a Concat before anchor. */
  private static Value joined(List<Node> consumers, int j, Node anchor, Rewriter rw) {
    List<Value> vs = consumers.stream().map(c -> c.input(j)).toList();
    if (vs.stream().allMatch(v -> v.constant() != null)) {
      return rw.constant(anchor.graph(), ConstantConcat.of(vs.stream().map(Value::constant).toList(), 0),
          vs.get(0).name() + "_parts");
    }
    Node concat = rw.insertBefore(anchor, "Concat", vs, 1, Map.of("axis",
        new Attribute.IntAttr(0)), vs.get(0).name() + "_parts");
    rw.inferTypes(concat);
    return concat.output(0);
  }

  /** One element, of rank at most the split input's, so it never widens the output. */
  private static boolean sharedScalar(Value v, int rank) {
    long[] dims = Facts.staticDims(v);
    return dims != null && dims.length <= rank && Tensor.numElements(dims) == 1;
  }

  @Override
  public void apply(Node split, Found m, Rewriter rw) {
    Node anchor = m.anchor();
    Node first = m.consumers().get(0);
    List<Value> opInputs = new ArrayList<>(first.inputs());
    opInputs.set(m.splitIndex(), split.input(0));
    for (int j : m.perPart()) {
      opInputs.set(j, joined(m.consumers(), j, anchor, rw));
    }
    Node op = rw.copyBefore(anchor, first, opInputs);
    rw.setType(op.output(0), null);
    rw.inferTypes(op);
    List<Value> splitInputs = new ArrayList<>(split.inputs());
    splitInputs.set(0, op.output(0));
    Node moved = rw.copyBefore(anchor, split, splitInputs);
    rw.setAttribute(moved, "axis", new Attribute.IntAttr(m.axis()));
    for (int i = 0; i < m.consumers().size(); i++) {
      Value old = m.consumers().get(i).output(0);
      rw.setType(moved.output(i), old.type());
      rw.replace(old, moved.output(i));
    }
    m.consumers().forEach(rw::erase);
    rw.erase(split);
  }
}
