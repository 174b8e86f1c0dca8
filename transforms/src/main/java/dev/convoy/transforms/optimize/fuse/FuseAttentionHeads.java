package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.ShapeFns;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.Matchers;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.fold.ShapeElements;
import dev.convoy.transforms.optimize.move.Perms;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@code convoy::Attention} between the head split and merge every BERT-style exporter writes
 * takes them in: {@code Q = Transpose(Reshape(q, [..., S, H, D]), [..., H, S, D])}, the keys
 * {@code Transpose(Reshape(k, ...), [..., H, D, S])}, V as Q, and after it {@code
 * Reshape(Transpose(y, [..., S, H, Dv]), [..., S, H*Dv])} become one {@code convoy::Attention(q,
 * k, v, mask) {num_heads = H}} on the merged {@code [..., S, H*D]} tensors (which reads each head
 * in place). Every Reshape target must provably split only the last dim (static, {@code H*D})
 * into {@code H, D}, or merge them back, whether it is a constant or shape arithmetic ({@link
 * ShapeElements}: copies of the input's dims, 0 for "copy", one -1); the leading dims of q, k and
 * v must be provably equal, and each dim of the mask provably 1 or the scores' (the key dim
 * excepted: any other size is an error in the original too), so that no broadcast of the split
 * form is lost. Every absorbed node must feed only the next one.
 */
public final class FuseAttentionHeads implements MatchingRule<FuseAttentionHeads.Found> {
  public static final String NAME = "fuse-attention-heads";

  /**
   * What was found: the merged inputs, the head count, the value the fused op replaces, the
   * merge's nodes (readers first) and the splits'.
   */
  public record Found(Value q, Value k, Value v, long heads, Value output, List<Node> merge,
      List<Node> splits) {

    /** Every node a fusion of the core {@code core} (readers first) absorbs with these. */
    List<Node> absorbed(List<Node> core) {
      List<Node> all = new ArrayList<>(merge);
      all.addAll(core);
      all.addAll(splits);
      return all;
    }
  }

  /** One input's head split: the merged tensor, the head count and the head size. */
  private record Split(Value merged, long heads, long size, List<Node> nodes) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return new Pattern(OpCatalog.CONVOY_DOMAIN, Set.of("Attention"));
  }

  @Override
  public Match<Found> match(Node root, Rewriter rw) {
    if (root.intAttr("num_heads", 0) != 0) {
      return Match.fail(root + " already takes merged heads");
    }
    int rank = Facts.rank(root.output(0));
    if (rank < 3) {
      return Match.fail(root.output(0).name() + " has no known rank of 3 or more");
    }
    return around(root, root.input(0), root.input(1), root.input(2),
        root.inputCount() > 3 ? root.input(3) : null, rank);
  }

  /**
   * The head split of Q {@code qh}, the keys {@code kt} and V {@code vh} and the head merge of
   * the output of {@code last} (rank {@code rank}), the attention core between them, with the
   * proofs the class comment lists; {@code mask} (or null) is the core's additive mask.
   */
  static Match<Found> around(Node last, Value qh, Value kt, Value vh, Value mask, int rank) {
    Match<Split> q = split(qh, ShapeFns.headPermutation(rank, false));
    if (!q.ok()) {
      return Match.fail(q.reason());
    }
    Match<Split> k = split(kt, ShapeFns.headPermutation(rank, true));
    if (!k.ok()) {
      return Match.fail(k.reason());
    }
    Match<Split> v = split(vh, ShapeFns.headPermutation(rank, false));
    if (!v.ok()) {
      return Match.fail(v.reason());
    }
    long heads = q.value().heads();
    if (k.value().heads() != heads || v.value().heads() != heads
        || k.value().size() != q.value().size()) {
      return Match.fail("Q, K and V split into " + heads + ", " + k.value().heads() + " and "
          + v.value().heads() + " heads of sizes " + q.value().size() + ", "
          + k.value().size() + ", " + v.value().size());
    }
    String why = sameLeadingDims(q.value().merged(), k.value().merged(), v.value().merged());
    if (why == null && mask != null) {
      why = maskKeepsShape(mask, q.value().merged(), heads);
    }
    if (why != null) {
      return Match.fail(why);
    }
    Match<List<Node>> merge = merge(last, heads, v.value().size(), rank);
    if (!merge.ok()) {
      return Match.fail(merge.reason());
    }
    List<Node> splits = new ArrayList<>();
    for (Split s : List.of(q.value(), k.value(), v.value())) {
      splits.addAll(s.nodes());
    }
    return Match.of(new Found(q.value().merged(), k.value().merged(), v.value().merged(), heads,
        merge.value().get(0).output(0), merge.value(), splits));
  }

  /**
   * {@code x = Transpose(Reshape(merged, [..., S, H, D]), perm)}, each feeding only the next
   * node: the merged tensor, H and D.
   */
  private static Match<Split> split(Value x, long[] perm) {
    Match<Node> t = Matchers.soleProducer(x, "Transpose");
    if (!t.ok()) {
      return Match.fail(t.reason());
    }
    if (!Arrays.equals(Perms.of(t.value()), perm)) {
      return Match.fail(t.value() + " does not permute [..., S, H, D] by "
          + Arrays.toString(perm));
    }
    Match<Node> r = Matchers.soleProducer(t.value().input(0), "Reshape");
    if (!r.ok()) {
      return Match.fail(r.reason());
    }
    Node reshape = r.value();
    Value merged = reshape.input(0);
    int rank = Facts.rank(merged);
    long hidden = Facts.lastDim(merged);
    var target = ShapeElements.of(reshape.input(1));
    if (rank != perm.length - 1 || hidden <= 0 || target == null || target.size() != perm.length) {
      return Match.fail(reshape + " is not [..., S, " + (hidden > 0 ? hidden : "E")
          + "] to a provable target of rank " + perm.length);
    }
    Match<Integer> kept = keptDims(reshape, target, rank - 1);
    if (!kept.ok()) {
      return Match.fail(kept.reason());
    }
    int inferred = kept.value();
    var h = target.get(rank - 1);
    var d = target.get(rank);
    long heads = h.isNumber() ? h.number() : 0;
    long size = d.isNumber() ? d.number() : 0;
    if (size == -1 && inferred == 0 && heads > 0 && hidden % heads == 0) {
      size = hidden / heads;
    }
    if (heads <= 0 || size <= 0 || heads * size != hidden || inferred > 1) {
      return Match.fail(reshape + " does not provably split " + hidden + " into heads: H "
          + (h.isNumber() ? h.number() : "?") + ", D " + (d.isNumber() ? d.number() : "?"));
    }
    return Match.of(new Split(merged, heads, size, List.of(t.value(), reshape)));
  }

  /**
   * The head merge after {@code root}: {@code Reshape(Transpose(y, [..., S, H, Dv]), [..., S,
   * H*Dv])}, each reading only the previous node; the Reshape first.
   */
  private static Match<List<Node>> merge(Node root, long heads, long size, int rank) {
    Node t = Rewriter.soleConsumer(root.output(0));
    if (t == null) {
      String notSole = Matchers.notSoleUse(root.output(0), 1);
      return Match.fail(notSole != null ? notSole : root.output(0).name() + " has no reader");
    }
    if (!t.is("Transpose") || !Arrays.equals(Perms.of(t), ShapeFns.headPermutation(rank, false))) {
      return Match.fail(root.output(0).name() + " is not read by the Transpose to [..., S, H, D]");
    }
    Value heads4 = t.output(0);
    Node r = Rewriter.soleConsumer(heads4);
    if (r == null) {
      String notSole = Matchers.notSoleUse(heads4, 1);
      return Match.fail(notSole != null ? notSole : heads4.name() + " has no reader");
    }
    var target = r.is("Reshape") && r.domain().isEmpty() && r.input(0) == heads4
        ? ShapeElements.of(r.input(1)) : null;
    if (target == null || target.size() != rank - 1) {
      return Match.fail(heads4.name() + " is not read by a Reshape to a provable rank "
          + (rank - 1));
    }
    Match<Integer> kept = keptDims(r, target, rank - 2);
    if (!kept.ok()) {
      return Match.fail(kept.reason());
    }
    int inferred = kept.value();
    var last = target.get(rank - 2);
    boolean merges = last.isNumber()
        && (last.number() == heads * size || (last.number() == -1 && inferred == 0));
    if (!merges || inferred > 1) {
      return Match.fail(r + " does not provably merge " + heads + " heads of " + size);
    }
    return Match.of(List.of(r, t));
  }

  /**
   * Whether the first {@code n} elements of Reshape {@code r}'s {@code target} provably keep the
   * dims of its input: each a copy (0 without {@code allowzero}), -1, or provably that dim; the
   * number of -1s among them.
   */
  private static Match<Integer> keptDims(Node r, List<ShapeElements.Element> target, int n) {
    boolean allowZero = r.intAttr("allowzero", 0) != 0;
    int inferred = 0;
    for (int i = 0; i < n; i++) {
      var e = target.get(i);
      boolean copy = e.isNumber() && e.number() == 0 && !allowZero;
      boolean infer = e.isNumber() && e.number() == -1;
      if (!copy && !infer && !e.isDimOf(r.input(0), i)) {
        return Match.fail(r + " does not provably keep dim " + i + " of " + r.input(0).name());
      }
      inferred += infer ? 1 : 0;
    }
    return Match.of(inferred);
  }

  /** Why the leading dims of {@code q}, {@code k} and {@code v} are not provably equal, or null. */
  private static String sameLeadingDims(Value q, Value k, Value v) {
    Shape sq = Facts.shape(q);
    Shape sk = Facts.shape(k);
    Shape sv = Facts.shape(v);
    for (int i = 0; i < sq.rank() - 2; i++) {
      if (!provablyEqual(sq.dim(i), sk.dim(i)) || !provablyEqual(sq.dim(i), sv.dim(i))) {
        return "the leading dims of " + q.name() + " " + sq + ", " + k.name() + " " + sk
            + " and " + v.name() + " " + sv + " are not provably equal";
      }
    }
    return null;
  }

  /**
   * Why {@code mask} might broadcast the scores {@code [..., H, Sq, Skv]} to a larger shape, or
   * null: each dim must be 1 or provably the scores' (the last excepted: a mask of neither 1 nor
   * Skv columns is an error before and after).
   */
  private static String maskKeepsShape(Value mask, Value q, long heads) {
    Shape sm = Facts.shape(mask);
    Shape sq = Facts.shape(q);
    int rank = sq.rank() + 1;
    if (sm == null || !sm.hasRank() || sm.rank() > rank) {
      return "the mask " + mask.name() + " has no known rank of at most " + rank;
    }
    for (int i = 0; i < sm.rank() - 1; i++) {
      Dim d = sm.dim(i);
      int axis = rank - sm.rank() + i;
      Dim scores = axis == rank - 3 ? Dim.of(heads) : sq.dim(axis == rank - 2 ? axis - 1 : axis);
      if (!d.equals(Dim.of(1)) && !provablyEqual(d, scores)) {
        return "the mask " + mask.name() + " " + sm + " may broadcast the scores' dim " + axis;
      }
    }
    return null;
  }

  /** Whether dims {@code a} and {@code b} are the same size whatever the inputs. */
  static boolean provablyEqual(Dim a, Dim b) {
    return !(a instanceof Dim.Unknown) && a.equals(b);
  }

  @Override
  public void apply(Node root, Found f, Rewriter rw) {
    List<Value> inputs = new ArrayList<>(List.of(f.q(), f.k(), f.v()));
    if (root.inputCount() > 3 && root.input(3) != null) {
      inputs.add(root.input(3));
    }
    rw.fuse(root, f.absorbed(List.of(root)), OpCatalog.CONVOY_DOMAIN, 1, "Attention", inputs,
        Map.of("scale", root.attributes().getOrDefault("scale", new Attribute.FloatAttr(1f)),
            "num_heads", new Attribute.IntAttr(f.heads())),
        root.name(), List.of(f.output()));
  }
}
