package dev.convoy.transforms.optimize.move;

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
import java.util.Set;

/**
 * A {@code Split} whose every output feeds the same op (same type, attributes and other operands)
 * moves below it: {@code f(Split(x))} is {@code Split(f(x))}, one {@code f} for n. Exact where
 * {@code f} maps each element on its own ({@link #ELEMENTWISE}, with any other operand one scalar
 * value shared by all, so broadcasting never reaches the split axis) or only moves elements
 * ({@code Transpose}, {@code Unsqueeze}, the split axis renumbered). Inception's sibling branches
 * after {@code fuse-sibling-convs} ({@code Relu} per branch) and a spectrogram's real and
 * imaginary parts ({@code Unsqueeze -> Transpose -> Pow} per part) become one chain.
 */
public final class SinkSplit implements MatchingRule<SinkSplit.Found> {
  public static final String NAME = "sink-split";

  /** Ops that map each element (and a shared scalar operand) to one output element. */
  static final Set<String> ELEMENTWISE = Set.of(
      "Relu", "Sigmoid", "Tanh", "LeakyRelu", "Elu", "Selu", "Celu", "HardSigmoid", "HardSwish",
      "Softplus", "Softsign", "Exp", "Log", "Abs", "Neg", "Sqrt", "Reciprocal", "Erf", "Floor",
      "Ceil", "Round", "Sign", "Not", "Cast", "Identity", "Clip", "Gelu", "Mish", "Sin", "Cos",
      "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "ThresholdedRelu", "Shrink", "IsNaN",
      "IsInf");

  /** The consumers in output order, the split input's rank, and the new split axis. */
  public record Found(List<Node> consumers, int splitIndex, int axis) {}

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
      if (!sameOp(first, c, index)) {
        return Match.fail(c.name() + " is not the same op as " + first.name());
      }
    }
    int moved = movedAxis(first, index, axis, rank);
    return moved < 0
        ? Match.fail(first.opType() + " " + first.name() + " does not map elements one to one")
        : Match.of(new Found(consumers, index, moved));
  }

  /** Same domain, op, attributes and operands other than the split output at {@code index}. */
  private static boolean sameOp(Node a, Node b, int index) {
    if (!a.domain().isEmpty() || !b.domain().isEmpty() || !a.opType().equals(b.opType())
        || !a.attributes().equals(b.attributes()) || a.inputCount() != b.inputCount()
        || a.outputCount() != 1 || b.outputCount() != 1 || !a.subgraphs().isEmpty()) {
      return false;
    }
    for (int i = 0; i < a.inputCount(); i++) {
      if (i != index && a.input(i) != b.input(i)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Where the split axis lands after {@code op} (read at operand {@code index}), or -1 when the op
   * is not one this rule moves or an operand could broadcast along the axis.
   */
  private static int movedAxis(Node op, int index, int axis, int rank) {
    if (ELEMENTWISE.contains(op.opType())) {
      for (int i = 0; i < op.inputCount(); i++) {
        Value v = op.input(i);
        if (i != index && v != null && !sharedScalar(v, rank)) {
          return -1;
        }
      }
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

  /** One element, of rank at most the split input's, so it never widens the output. */
  private static boolean sharedScalar(Value v, int rank) {
    long[] dims = Facts.staticDims(v);
    return dims != null && dims.length <= rank && Tensor.numElements(dims) == 1;
  }

  @Override
  public void apply(Node split, Found m, Rewriter rw) {
    Node anchor = m.consumers().stream()
        .min(Comparator.comparingInt(split.graph().nodes()::indexOf)).orElseThrow();
    Node first = m.consumers().get(0);
    List<Value> opInputs = new ArrayList<>(first.inputs());
    opInputs.set(m.splitIndex(), split.input(0));
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
