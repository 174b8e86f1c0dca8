package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.DType;
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
import java.util.List;
import java.util.Map;

/**
 * {@code MatMul}s (or {@code MatMulInteger}s with the same zero points) that multiply the same
 * input by constant matrices with the same number of rows are one product with the matrices side
 * by side, then a {@code Split} along the last axis: every output column is the same dot product
 * as before (a transformer's query, key and value projections). With {@code sink-split} the
 * per-projection Cast, scale and bias that follow become one each.
 *
 * <p>Fires only where it saves nodes: three or more products, or two whose outputs each feed the
 * same op that {@code sink-split} moves. O2 runs it after the fusions, so an attention or a
 * quantized-matmul fusion that needs the projections apart has them first.
 *
 * <p>Not for float16 or bfloat16 matrices: ONNX Runtime's half-precision MatMul rounds the
 * columns of a wider product otherwise than the same columns alone (seed 105349: 0.0096 after two
 * normalizations, beyond four float16 steps), and every target's result may run there (a {@code
 * .cvy} through its ONNX export).
 */
public final class FuseSiblingMatMuls implements MatchingRule<List<Node>> {
  public static final String NAME = "fuse-sibling-matmuls";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("MatMul", "MatMulInteger");
  }

  @Override
  public Match<List<Node>> match(Node root, Rewriter rw) {
    int rank = Facts.rank(root.output(0));
    if (!fusable(root) || rank < 2) {
      return Match.fail(root.name() + " does not multiply by a constant matrix");
    }
    DType wt = root.input(1).constant().dtype();
    if (wt == DType.FLOAT16 || wt == DType.BFLOAT16) {
      return Match.fail("a " + wt.textName() + " product in ONNX Runtime rounds a wider matrix"
          + " differently (differential seed 105349)");
    }
    List<Node> siblings = SiblingSplit.siblings(root, n -> n.opType().equals(root.opType())
        && fusable(n) && sameShape(root, n));
    if (siblings.size() < 2) {
      return Match.fail("no other " + root.opType() + " multiplies " + root.input(0).name()
          + " the same way");
    }
    if (siblings.size() == 2 && !SinkSplit.readers(
        siblings.stream().map(n -> n.output(0)).toList(), rank - 1, rank).ok()) {
      return Match.fail("two products without the same op after each save no node");
    }
    return Match.of(siblings);
  }

  private static boolean fusable(Node n) {
    Value b = n.input(1);
    return n.domain().isEmpty() && n.input(0) != null && n.output(0) != null
        && b != null && b.constant() != null && b.constant().rank() == 2
        && (n.input(3) == null || n.input(3).constant() != null);
  }

  /**
   * Same rows and dtype of the matrix, the same input zero point, and weight zero points both
   * absent, one equal scalar, or one per column each (joined like the columns).
   */
  private static boolean sameShape(Node a, Node b) {
    Tensor wa = a.input(1).constant();
    Tensor wb = b.input(1).constant();
    Tensor za = zeroPoint(a);
    Tensor zb = zeroPoint(b);
    boolean zeroPoints = za == null ? zb == null
        : zb != null && za.dtype() == zb.dtype() && (perColumn(a) && perColumn(b)
            || za.numElements() == 1 && za.equals(zb));
    return wa.dtype() == wb.dtype() && wa.dim(0) == wb.dim(0) && a.input(2) == b.input(2)
        && a.inputCount() == b.inputCount() && zeroPoints;
  }

  private static Tensor zeroPoint(Node n) {
    return n.input(3) == null ? null : n.input(3).constant();
  }

  private static boolean perColumn(Node n) {
    Tensor z = zeroPoint(n);
    return z.rank() == 1 && z.dim(0) == n.input(1).constant().dim(1);
  }

  @Override
  public void apply(Node root, List<Node> products, Rewriter rw) {
    Node anchor = products.get(0);
    var graph = anchor.graph();
    long[] sizes = new long[products.size()];
    List<Tensor> weights = new ArrayList<>();
    for (int i = 0; i < products.size(); i++) {
      weights.add(products.get(i).input(1).constant());
      sizes[i] = weights.get(i).dim(1);
    }
    List<Value> inputs = new ArrayList<>(anchor.inputs());
    inputs.set(1, rw.constant(graph, ConstantConcat.of(weights, 1),
        anchor.input(1).name() + "_siblings"));
    if (zeroPoint(anchor) != null && perColumn(anchor)) {
      inputs.set(3, rw.constant(graph,
          ConstantConcat.of(products.stream().map(FuseSiblingMatMuls::zeroPoint).toList(), 0),
          anchor.input(3).name() + "_siblings"));
    }
    Node product = rw.insertBefore(anchor, anchor.opType(), inputs, 1, Map.of(),
        anchor.output(0).name() + "_siblings");
    rw.setName(product, anchor.name());
    rw.inferTypes(product);
    SiblingSplit.replace(products, product.output(0), sizes, Facts.rank(anchor.output(0)) - 1, rw);
  }
}
