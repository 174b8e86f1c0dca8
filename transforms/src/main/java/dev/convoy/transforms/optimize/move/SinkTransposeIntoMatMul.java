package dev.convoy.transforms.optimize.move;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.ArrayList;
import java.util.List;

/**
 * A classifier head written for NHWC: {@code Transpose(x, p)} (batch first), then ops that work
 * element by element without parameters per axis, then a Reshape to {@code [N, K]} flattening the
 * rest, then a MatMul, MatMulInteger (its zero points are per row of A and per column of B, so
 * they stay) or Gemm with constant weights (or weights dequantized from a constant, per tensor or
 * along the output axis). Flattening {@code x} directly only reorders the {@code K}
 * features, so the Transpose goes and the weights' {@code K} rows take that order instead. One
 * Transpose fewer, no node more; the Transpose must feed only this chain.
 */
public final class SinkTransposeIntoMatMul
    implements MatchingRule<SinkTransposeIntoMatMul.Head> {
  public static final String NAME = "sink-transpose-into-matmul";

  /**
   * What the rule found.
   *
   * @param chain the elementwise ops between the Transpose and the Reshape, in order
   * @param reshape the flattening Reshape
   * @param matmul the MatMul or Gemm reading it as its first input
   * @param weights the constant whose {@code K} axis is reordered
   * @param reader the node reading {@code weights} (the matmul or a DequantizeLinear)
   * @param kAxis the {@code K} axis of {@code weights}
   * @param order the new order of the {@code K} axis
   */
  public record Head(List<Node> chain, Node reshape, Node matmul, Value weights, Node reader,
      int kAxis, int[] order) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Transpose");
  }

  @Override
  public Match<Head> match(Node t, Rewriter rw) {
    long[] p = Perms.of(t);
    long[] x = Facts.staticDims(t.input(0));
    String name = t.output(0).name();
    if (p == null || p.length < 3 || p[0] != 0 || x == null || x.length != p.length) {
      return Match.fail(name + " is not a static Transpose keeping the batch axis first");
    }
    List<Node> chain = new ArrayList<>();
    Node c = Rewriter.soleConsumer(t.output(0));
    while (c != null && !c.is("Reshape")) {
      MovedOp m = MovableOps.move(c, p);
      if (m == null || c.outputCount() != 1 || !m.layoutInputs().equals(List.of(0))
          || !m.constInputs().isEmpty() || !m.attributes().equals(c.attributes())) {
        return Match.fail(name + " reaches " + c.opType() + ", which is not a plain elementwise op");
      }
      chain.add(c);
      c = Rewriter.soleConsumer(c.output(0));
    }
    if (c == null) {
      return Match.fail(name + " does not reach a Reshape through sole readers");
    }
    long[] flat = Facts.staticDims(c.output(0));
    long k = Tensor.numElements(x) / Math.max(1, x[0]);
    if (flat == null || flat.length != 2 || flat[0] != x[0] || flat[1] != k) {
      return Match.fail(c.output(0).name() + " does not flatten all but the batch axis");
    }
    Node mm = Rewriter.soleConsumer(c.output(0));
    if (mm == null || mm.input(0) != c.output(0) || !mm.domain().isEmpty()
        || !(mm.is("MatMul") || mm.is("MatMulInteger")
            || mm.is("Gemm") && mm.intAttr("transA", 0) == 0)) {
      return Match.fail(c.output(0).name() + " is not the first input of one MatMul or Gemm");
    }
    int kAxis = mm.is("Gemm") && mm.intAttr("transB", 0) != 0 ? 1 : 0;
    Value b = mm.input(1);
    Node reader = mm;
    if (b.constant() == null && b.producer() != null && b.producer().is("DequantizeLinear")
        && Rewriter.soleConsumer(b) == mm && perTensorOrAlong(b.producer(), 1 - kAxis)) {
      reader = b.producer();
      b = reader.input(0);
    }
    Tensor w = b.constant();
    if (w == null || w.rank() != 2 || w.dim(kAxis) != k || !Perms.canPermute(w)) {
      return Match.fail(mm.output(0).name() + " has no constant weights with " + k + " rows");
    }
    return Match.of(new Head(chain, c, mm, b, reader, kAxis, Perms.flattenedOrder(x, p)));
  }

  /** Whether the DequantizeLinear's parameters are per tensor or along {@code axis} only. */
  private static boolean perTensorOrAlong(Node dq, int axis) {
    long along = dq.intAttr("axis", 1) < 0 ? dq.intAttr("axis", 1) + 2 : dq.intAttr("axis", 1);
    for (int i = 1; i < dq.inputCount(); i++) {
      Value v = dq.input(i);
      if (v != null && Facts.rank(v) != 0 && (Facts.rank(v) != 1
          || Facts.staticDims(v) == null || Facts.staticDims(v)[0] != 1
          && along != axis)) {
        return false;
      }
    }
    return dq.intAttr("block_size", 0) == 0;
  }

  @Override
  public void apply(Node t, Head h, Rewriter rw) {
    Value v = t.input(0);
    for (Node c : h.chain()) {
      List<Value> inputs = new ArrayList<>(c.inputs());
      inputs.set(0, v);
      Node n = rw.insertBefore(c, c.opType(), inputs, 1, c.attributes(),
          c.output(0).name() + "_moved");
      rw.setName(n, c.name());
      rw.inferTypes(n);
      v = n.output(0);
    }
    Node r = rw.insertBefore(h.reshape(), "Reshape", List.of(v, h.reshape().input(1)), 1,
        h.reshape().attributes(), h.reshape().output(0).name() + "_moved");
    rw.setName(r, h.reshape().name());
    rw.inferTypes(r);
    Tensor w = Perms.gather(h.weights().constant(), h.kAxis(), h.order());
    int slot = h.reader() == h.matmul() ? 1 : 0;
    rw.setInput(h.reader(), slot,
        rw.constant(t.graph(), w, h.weights().name() + "_reordered"));
    rw.setInput(h.matmul(), 0, r.output(0));
    rw.erase(h.reshape());
    for (int i = h.chain().size() - 1; i >= 0; i--) {
      rw.erase(h.chain().get(i));
    }
    rw.erase(t);
  }
}
