package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Matchers;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.move.Perms;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The scaled dot-product attention core, {@code MatMul(Softmax(s * MatMul(Q, Kt) + mask), V)},
 * becomes one {@code convoy::Attention(Q, Kt, V, mask?)} with {@code scale = s} for the {@code
 * cvy} target. The scale is any product of one-element float constants that multiply (Mul) or
 * divide (Div) the scores, Q or Kt on their way into the first MatMul (exporters put it on the
 * scores, on Q, or as a fourth root on both); the mask is an optional Add of any float32 value
 * after the scaling; the Softmax must be over the last axis. Q, Kt and V keep whatever head
 * split and layout the model gave them: the fused op broadcasts its leading dims as MatMul does,
 * so it matches on every layout (BERT's {@code [batch, heads, seq, head]}, PyTorch's merged
 * {@code [batch*heads, seq, head]}) and on whatever produces Q, K and V (float or quantized
 * projections). Every node between the first MatMul and the root must feed only the next one.
 */
public final class FuseAttention implements MatchingRule<FuseAttention.Found> {
  public static final String NAME = "fuse-attention";

  /**
   * What was found: the inputs of the fused op ({@code mask} may be null), the Softmax input, the
   * combined scale and every matched node but the root.
   */
  public record Found(Value q, Value kt, Value v, Value mask, Value logits, double scale,
      List<Node> nodes, boolean standard) {}

  /** The first default-domain opset with ONNX's Attention. */
  static final int STANDARD_OPSET = 23;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("MatMul");
  }

  @Override
  public Match<Found> match(Node root, Rewriter rw) {
    if (!root.domain().isEmpty()) {
      return Match.fail(root + " is not an ONNX MatMul");
    }
    boolean standard = !rw.options().target().convoyOps();
    if (standard && root.graph().opsetVersion("") < STANDARD_OPSET) {
      return Match.fail("the target allows no convoy ops and ONNX's Attention needs opset "
          + STANDARD_OPSET);
    }
    Match<Found> core = core(root);
    if (!core.ok() || !standard) {
      return core;
    }
    Found f = core.value();
    String why = standardShapes(f.q(), f.kt(), f.v(), f.mask(), f.logits());
    return why != null ? Match.fail(why) : Match.of(new Found(f.q(), f.kt(), f.v(), f.mask(),
        f.logits(), f.scale(), f.nodes(), true));
  }

  /**
   * The attention core whose last MatMul is {@code root}, for any target: Q, Kt, V, the mask,
   * the combined scale and the matched nodes but the root ({@code standard} false).
   */
  static Match<Found> core(Node root) {
    Match<Node> softmax = Matchers.soleProducer(root.input(0), "Softmax");
    if (!softmax.ok()) {
      return Match.fail(softmax.reason());
    }
    Node sm = softmax.value();
    Value logits = sm.input(0);
    int rank = Facts.rank(logits);
    if (rank < 2) {
      return Match.fail(logits.name() + " has no known rank of 2 or more");
    }
    long axis = sm.intAttr("axis", root.graph().opsetVersion("") >= 13 ? -1 : 1);
    if ((axis < 0 ? axis + rank : axis) != rank - 1) {
      return Match.fail("the Softmax is not over the last axis");
    }
    List<Node> nodes = new ArrayList<>(List.of(sm));
    Value mask = null;
    Value scores = logits;
    Node add = scores.producer();
    if (add != null && add.is("Add") && add.domain().isEmpty()) {
      int side = scoresSide(add);
      if (side < 0) {
        return Match.fail("neither operand of " + add + " is the scaled product Q Kt");
      }
      String notSole = Matchers.notSoleUse(logits, 1);
      if (notSole != null) {
        return Match.fail(notSole);
      }
      nodes.add(add);
      mask = add.input(1 - side);
      scores = add.input(side);
    }
    double[] scale = {1};
    Match<Value> product = unscaled(scores, scale, nodes, true);
    if (!product.ok()) {
      return Match.fail(product.reason());
    }
    Match<Node> qk = Matchers.soleProducer(product.value(), "MatMul");
    if (!qk.ok()) {
      return Match.fail(qk.reason());
    }
    nodes.add(qk.value());
    Value q = unscaled(qk.value().input(0), scale, nodes, false).value();
    Value kt = unscaled(qk.value().input(1), scale, nodes, false).value();
    Value v = root.input(1);
    for (Value x : mask == null ? List.of(q, kt, v) : List.of(q, kt, v, mask)) {
      if (Facts.dtype(x) != DType.FLOAT) {
        return Match.fail(x.name() + " is not float32");
      }
    }
    if (Facts.rank(q) < 2 || Facts.rank(kt) < 2 || Facts.rank(v) < 2) {
      return Match.fail("Q, Kt and V need known ranks of 2 or more");
    }
    for (Node n : nodes) {
      if (n.graph() != root.graph()) {
        return Match.fail(n + " is in another graph than " + root);
      }
    }
    if (!Double.isFinite(scale[0]) || scale[0] == 0 || (float) scale[0] == 0) {
      return Match.fail("the scale " + scale[0] + " is not a finite nonzero float");
    }
    return Match.of(new Found(q, kt, v, mask, logits, scale[0], nodes, false));
  }

  /**
   * Why ONNX's Attention cannot take these operands, or null. 4-D: Q {@code [B, H, Sq, D]}, Kt
   * {@code [B, H, D, Skv]}, V {@code [B, H, Skv, Dv]}; 3-D (PyTorch's merged batch and heads):
   * the same without H, written as one head. B and H must be provably the same in all (it does not
   * broadcast them; {@link #sameDim} proves it through head-split Reshapes and Transposes), and
   * with a mask provably the scores' too. A mask's last two dims must be provably the scores' (ONNX Runtime 1.28
   * rejects a mask that broadcasts over the queries, and reads a shorter last dim as padding), its
   * leading ones 1 or provably the scores'.
   */
  private static String standardShapes(Value q, Value kt, Value v, Value mask, Value logits) {
    int rank = Facts.rank(q);
    Shape sq = Facts.shape(q);
    Shape sk = Facts.shape(kt);
    Shape sv = Facts.shape(v);
    Shape ss = Facts.shape(logits);
    if ((rank != 3 && rank != 4) || Facts.rank(kt) != rank || Facts.rank(v) != rank
        || Facts.rank(logits) != rank) {
      return "ONNX's Attention takes Q, Kt and V all 3-D or all 4-D";
    }
    for (int i = 0; i < rank - 2; i++) {
      if (!sameDim(q, i, kt, i, SAME_DIM_DEPTH) || !sameDim(q, i, v, i, SAME_DIM_DEPTH)) {
        return "the batch and head dims of Q " + sq + ", Kt " + sk + " and V " + sv
            + " are not provably equal";
      }
    }
    if (mask != null) {
      Shape sm = Facts.shape(mask);
      if (!sm.hasRank() || sm.rank() < 2 || sm.rank() > rank) {
        return "the mask " + mask.name() + " has no known rank from 2 to " + rank;
      }
      for (int i = 0; i < rank - 2; i++) {
        if (!sameDim(q, i, logits, i, 0)) {
          return "the mask " + mask.name() + " " + sm + " may broadcast the batch and head dims"
              + " of Q " + sq + " to the scores' " + ss;
        }
      }
      for (int i = 0; i < sm.rank(); i++) {
        Dim d = sm.dim(i);
        Dim s = ss.dim(rank - sm.rank() + i);
        boolean leading = i < sm.rank() - 2;
        if (!(leading && d.equals(Dim.of(1))) && (d instanceof Dim.Unknown || !d.equals(s))) {
          return "the mask " + mask.name() + " " + sm + " is not provably of the scores' shape "
              + ss + " (broadcast only over batch and heads)";
        }
      }
    }
    return null;
  }

  /** How many Transposes and Reshapes {@link #sameDim} looks through. */
  private static final int SAME_DIM_DEPTH = 4;

  /**
   * Whether dim {@code i} of {@code a} and dim {@code j} of {@code b} are the same size whatever
   * the inputs: their shapes say so, or both come through Transposes (dims permuted) from one
   * dim, or from Reshapes to the same target value of inputs of provably one shape (PyTorch's
   * head split of Q, K and V, {@code [S, B*H, D]} from shape arithmetic, whose merged dim no shape
   * inference names).
   */
  static boolean sameDim(Value a, int i, Value b, int j, int depth) {
    Shape sa = Facts.shape(a);
    Shape sb = Facts.shape(b);
    if (sa == null || sb == null || !sa.hasRank() || !sb.hasRank() || i >= sa.rank()
        || j >= sb.rank()) {
      return false;
    }
    if (!(sa.dim(i) instanceof Dim.Unknown) && sa.dim(i).equals(sb.dim(j))) {
      return true;
    }
    Node pa = a.producer();
    Node pb = b.producer();
    if (depth == 0 || pa == null || pb == null || !pa.domain().isEmpty()
        || !pb.domain().isEmpty() || !pa.opType().equals(pb.opType())) {
      return false;
    }
    if (pa.is("Transpose")) {
      long[] permA = Perms.of(pa);
      long[] permB = Perms.of(pb);
      return permA != null && permB != null && permA.length == sa.rank()
          && permB.length == sb.rank()
          && sameDim(pa.input(0), (int) permA[i], pb.input(0), (int) permB[j], depth - 1);
    }
    if (pa.is("Reshape") && i == j && pa.input(1) == pb.input(1)
        && pa.intAttr("allowzero", 0) == pb.intAttr("allowzero", 0)) {
      int rank = Facts.rank(pa.input(0));
      if (rank < 0 || Facts.rank(pb.input(0)) != rank) {
        return false;
      }
      for (int d = 0; d < rank; d++) {
        if (!sameDim(pa.input(0), d, pb.input(0), d, depth - 1)) {
          return false;
        }
      }
      return true;
    }
    return false;
  }

  /**
   * The operand of {@code add} that a MatMul produced, maybe through scaling Muls and Divs; -1
   * when neither is. Either choice is exact: the fused op adds the other operand after scaling
   * the chain it walked, which is what the Add computed.
   */
  private static int scoresSide(Node add) {
    for (int side = 0; side < 2; side++) {
      Node p = add.input(side).producer();
      Value c;
      while (p != null && p.domain().isEmpty() && (p.is("Mul") || p.is("Div"))
          && (c = scaleOf(p)) != null) {
        p = p.input(c == p.input(0) ? 1 : 0).producer();
      }
      if (p != null && p.is("MatMul") && p.domain().isEmpty()) {
        return side;
      }
    }
    return -1;
  }

  /**
   * The one-element float constant operand of Mul or Div {@code n} that scales its other operand
   * (Div only by its divisor), keeping that operand's shape; null if there is none.
   */
  private static Value scaleOf(Node n) {
    int side = Matchers.scalarSide(n, n.is("Mul"));
    if (side < 0) {
      return null;
    }
    Value c = n.input(side);
    return Matchers.keepsShape(n.input(1 - side), c) ? c : null;
  }

  /**
   * Walks up from {@code x} through Mul/Div by one-element constants that feed only the next node,
   * folding their factors into {@code scale} and adding them to {@code nodes}; the value they
   * scale. With {@code strict}, a scaling node with another reader is a failure; without, the
   * walk stops there and that node stays.
   */
  private static Match<Value> unscaled(Value x, double[] scale, List<Node> nodes, boolean strict) {
    Node p = x.producer();
    while (p != null && p.domain().isEmpty() && (p.is("Mul") || p.is("Div"))) {
      Value c = scaleOf(p);
      if (c == null) {
        break;
      }
      String notSole = Matchers.notSoleUse(x, 1);
      if (notSole != null) {
        if (strict) {
          return Match.fail(notSole);
        }
        break;
      }
      double f = Matchers.scalar(c);
      scale[0] = p.is("Mul") ? scale[0] * f : scale[0] / f;
      nodes.add(p);
      x = p.input(c == p.input(0) ? 1 : 0);
      p = x.producer();
    }
    return Match.of(x);
  }

  @Override
  public void apply(Node root, Found f, Rewriter rw) {
    List<Node> matched = new ArrayList<>(List.of(root));
    matched.addAll(f.nodes());
    if (f.standard()) {
      List<Value> inputs = new ArrayList<>(List.of(f.q(), keys(root, f.kt(), rw), f.v()));
      if (f.mask() != null) {
        inputs.add(f.mask());
      }
      Map<String, Attribute> attrs = new HashMap<>(
          Map.of("scale", new Attribute.FloatAttr((float) f.scale())));
      if (Facts.rank(f.q()) == 3) {
        attrs.put("q_num_heads", new Attribute.IntAttr(1));
        attrs.put("kv_num_heads", new Attribute.IntAttr(1));
      }
      rw.fuse(root, matched, "", STANDARD_OPSET, "Attention", inputs, attrs, root.name(),
          List.of(root.output(0)));
      Node oldKeys = f.kt().producer();
      if (oldKeys != null && !f.kt().hasUses() && !f.kt().isGraphOutput()) {
        rw.erase(oldKeys);
      }
      return;
    }
    List<Value> inputs = new ArrayList<>(List.of(f.q(), f.kt(), f.v()));
    if (f.mask() != null) {
      inputs.add(f.mask());
    }
    rw.fuse(root, matched, OpCatalog.CONVOY_DOMAIN, 1, "Attention", inputs,
        Map.of("scale", new Attribute.FloatAttr((float) f.scale())), root.name(),
        List.of(root.output(0)));
  }

  /**
   * K {@code [..., Skv, D]} from Kt {@code [..., D, Skv]}: Kt's own Transpose with its last two
   * axes swapped when a Transpose made it (the old one then dies unless read elsewhere), else a
   * new Transpose of Kt.
   */
  private static Value keys(Node root, Value kt, Rewriter rw) {
    int rank = Facts.rank(kt);
    Node t = kt.producer();
    long[] perm = t == null ? null : Perms.of(t);
    Value src = kt;
    long[] swap = new long[rank];
    for (int i = 0; i < rank; i++) {
      swap[i] = i;
    }
    if (perm != null && perm.length == rank) {
      src = t.input(0);
      swap = perm.clone();
    }
    long last = swap[rank - 1];
    swap[rank - 1] = swap[rank - 2];
    swap[rank - 2] = last;
    Node k = rw.insertBefore(root, "Transpose", List.of(src), 1,
        Map.of("perm", new Attribute.IntsAttr(swap)), kt.name() + "_keys");
    rw.inferTypes(k);
    return k.output(0);
  }
}
