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
import dev.convoy.transforms.optimize.Target;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * For {@code --onnx-ops ort}: three or more {@code com.microsoft::MatMulIntegerToFloat(A, B,
 * a_scale, b_scale, a_zero_point, b_zero_point?, bias?)} that read the same quantized {@code A}
 * with the same {@code a_scale} and {@code a_zero_point} (a transformer's query, key and value
 * projections of one {@code DynamicQuantizeLinear}) are one product with their constant matrices,
 * per-column scales, zero points and biases side by side, then a {@code Split} along the last
 * axis: every output column is the same integer dot product, scaled and biased by the same
 * per-column constants. Scales, zero points and biases must be constants, each either one value
 * equal in all products or one per column in all; the matrices of one row count and type.
 */
public final class FuseSiblingMatMulIntegerToFloat implements MatchingRule<List<Node>> {
  public static final String NAME = "fuse-sibling-matmul-integer-to-float";

  /** The inputs that carry one value per output column, or one for all: b_scale, b_zp, bias. */
  private static final int[] PER_COLUMN = {3, 5, 6};

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return new Pattern(Target.MICROSOFT, Set.of("MatMulIntegerToFloat"));
  }

  @Override
  public Match<List<Node>> match(Node root, Rewriter rw) {
    if (!rw.options().target().ortOps() || rw.options().target().convoyOps()) {
      return Match.fail("the target does not write ONNX Runtime's ops into ONNX");
    }
    String why = unfusable(root);
    if (why != null) {
      return Match.fail(why);
    }
    List<Node> siblings = SiblingSplit.siblings(root, n -> n.opType().equals(root.opType())
        && n.domain().equals(root.domain()) && unfusable(n) == null && sameAs(root, n));
    if (siblings.size() < 3) {
      return Match.fail("fewer than three products read " + root.input(0).name()
          + " with the same scale, zero points and constant shapes");
    }
    return Match.of(siblings);
  }

  /** Why {@code n} cannot join: a non-constant matrix, scale, zero point or bias. */
  private static String unfusable(Node n) {
    Value b = n.input(1);
    if (Facts.rank(n.output(0)) < 2 || b == null || b.constant() == null
        || b.constant().rank() != 2) {
      return n.name() + " does not multiply by a constant matrix";
    }
    for (int i : PER_COLUMN) {
      Value c = i < n.inputCount() ? n.input(i) : null;
      if (c != null && (c.constant() == null || c.constant().rank() > 1
          || (c.constant().numElements() != 1 && c.constant().numElements() != columns(n)))) {
        return c.name() + " is not a constant of one value or one per column of " + n.name();
      }
    }
    return null;
  }

  private static long columns(Node n) {
    return n.input(1).constant().dim(1);
  }

  /**
   * Same A scale and zero point, same matrix rows and type, and each per-column input absent in
   * both, or one value per column in both, or one equal value in both.
   */
  private static boolean sameAs(Node a, Node b) {
    Tensor wa = a.input(1).constant();
    Tensor wb = b.input(1).constant();
    if (wa.dtype() != wb.dtype() || wa.dim(0) != wb.dim(0) || a.input(2) != b.input(2)
        || input(a, 4) != input(b, 4)) {
      return false;
    }
    for (int i : PER_COLUMN) {
      Tensor ca = constant(a, i);
      Tensor cb = constant(b, i);
      boolean same = ca == null ? cb == null
          : cb != null && ca.dtype() == cb.dtype() && ca.rank() == cb.rank()
              && (perColumn(a, ca) && perColumn(b, cb) || ca.equals(cb));
      if (!same) {
        return false;
      }
    }
    return true;
  }

  private static Value input(Node n, int i) {
    return i < n.inputCount() ? n.input(i) : null;
  }

  private static Tensor constant(Node n, int i) {
    Value v = input(n, i);
    return v == null ? null : v.constant();
  }

  private static boolean perColumn(Node n, Tensor c) {
    return c.rank() == 1 && c.dim(0) == columns(n) && columns(n) != 1;
  }

  @Override
  public void apply(Node root, List<Node> products, Rewriter rw) {
    Node anchor = products.get(0);
    var graph = anchor.graph();
    long[] sizes = new long[products.size()];
    for (int i = 0; i < products.size(); i++) {
      sizes[i] = columns(products.get(i));
    }
    List<Value> inputs = new ArrayList<>(anchor.inputs());
    inputs.set(1, rw.constant(graph, ConstantConcat.of(
        products.stream().map(n -> n.input(1).constant()).toList(), 1),
        anchor.input(1).name() + "_siblings"));
    for (int i : PER_COLUMN) {
      Tensor c = constant(anchor, i);
      if (c != null && perColumn(anchor, c)) {
        final int k = i;
        inputs.set(i, rw.constant(graph, ConstantConcat.of(
            products.stream().map(n -> constant(n, k)).toList(), 0),
            anchor.input(i).name() + "_siblings"));
      }
    }
    Node product = rw.insertBefore(anchor, anchor.domain(), 1, anchor.opType(), inputs, 1,
        Map.of(), anchor.output(0).name() + "_siblings");
    rw.setName(product, anchor.name());
    rw.inferTypes(product);
    SiblingSplit.replace(products, product.output(0), sizes, Facts.rank(anchor.output(0)) - 1, rw);
  }
}
