package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Matchers;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Root-mean-square normalization over the last axis as exporters spell it,
 * {@code x / sqrt(ReduceMean(x^2, [-1]) + eps)} (the square as {@code Pow(x, 2)} or
 * {@code x * x}; the division also as {@code x * Reciprocal(sqrt(..))} or {@code x * (1 / sqrt(..))}),
 * optionally times a constant float32 vector over the last axis, is ONNX's
 * {@code RMSNormalization(x, scale, axis = -1, epsilon = eps)}, standard from opset 23 and defined
 * as exactly {@code x / sqrt(mean(x^2) + epsilon) * scale} (computed in float32, its default
 * stash type). Without a scale vector the scale is ones. The mean must keep its dims and reduce
 * only the last axis, {@code eps} must be a non-negative one-element constant, x float32 with a
 * known last dim, and every intermediate must feed only the next step; the root becomes the op.
 * A normalization followed by a Mul by such a vector is left for that Mul to take along, and one
 * of a centered value {@code x = y - ReduceMean(y)} is a LayerNormalization chain, left whole to
 * {@code fuse-layer-norm} (one op instead of four, and the rounding its own kernel reproduces).
 *
 * <p>Except for the {@code cvy} target (Convoy's kernel) the rule fuses only an input of at most
 * {@value #ORT_FASTER_ELEMENTS} elements, all dims static: ONNX Runtime 1.28's CPU
 * RMSNormalization is slower than the chain on large ones. Measured 2026-12-05, one thread, ORT's
 * graph optimizations off, four chained normalizations, fused / chain: [1,4,128] 0.58, [1,1,512]
 * 0.67, [1,16,384] 0.86, [1,1,4096] 0.93, [1,65,256] 0.96, [1,16,1536] 1.07, [1,197,768] 1.10,
 * [1,256,1024] 1.12, [1,128,4096] 1.17 (a short last axis, [1,64,12,80], 0.77).
 */
public final class FuseRmsNorm implements MatchingRule<FuseRmsNorm.Found> {
  public static final String NAME = "fuse-rms-norm";

  /** The most elements an RMSNormalization ONNX Runtime runs may normalize (class comment). */
  static final long ORT_FASTER_ELEMENTS = 16_384;

  /** The input, scale (null: ones of the last dim), epsilon and the nodes that go. */
  public record Found(Value x, Value scale, float epsilon, List<Node> chain) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Mul", "Div");
  }

  @Override
  public Match<Found> match(Node root, Rewriter rw) {
    if (root.graph().opsetVersion("") < 23) {
      return Match.fail("RMSNormalization needs opset 23");
    }
    if (root.is("Mul")) {
      for (int side = 0; side < 2; side++) {
        Value n = root.input(side);
        Value c = root.input(1 - side);
        Node p = n == null ? null : n.producer();
        if (p != null && (p.is("Mul") || p.is("Div")) && isScaleFor(c, n)
            && Matchers.soleProducer(n, p.opType()).ok()) {
          List<Node> chain = new ArrayList<>(List.of(p));
          Match<Found> inner = normalized(p, chain);
          if (inner.ok()) {
            Found f = inner.value();
            return fasterWhereOrtRuns(new Found(f.x(), c, f.epsilon(), f.chain()), rw);
          }
        }
      }
    }
    Match<Found> plain = normalized(root, new ArrayList<>());
    if (plain.ok()) {
      Node next = Rewriter.soleConsumer(root.output(0));
      if (next != null && next.is("Mul")) {
        Value other = next.input(0) == root.output(0) ? next.input(1) : next.input(0);
        if (isScaleFor(other, root.output(0))) {
          return Match.fail(root.name() + " is scaled by the next Mul, which takes it along");
        }
      }
    }
    return plain.ok() ? fasterWhereOrtRuns(plain.value(), rw) : plain;
  }

  /**
   * {@code f}, or a failure where ONNX Runtime will run the fused op (any target but {@code cvy})
   * and its input is not statically small enough for the op to beat the chain there.
   */
  private static Match<Found> fasterWhereOrtRuns(Found f, Rewriter rw) {
    Shape shape = Facts.shape(f.x());
    if (!rw.options().target().convoyOps()
        && !(shape.isStatic() && shape.numElements() <= ORT_FASTER_ELEMENTS)) {
      return Match.fail(f.x().name() + " " + shape + " is not statically at most "
          + ORT_FASTER_ELEMENTS + " elements, where ONNX Runtime's RMSNormalization is slower"
          + " than the chain");
    }
    return Match.of(f);
  }

  /** Whether {@code c} is a constant float32 vector over x's (known) last dim. */
  private static boolean isScaleFor(Value c, Value x) {
    Tensor t = c == null ? null : c.constant();
    long[] d = lastDim(x);
    return t != null && t.dtype() == DType.FLOAT && t.rank() == 1 && d != null
        && t.dim(0) == d[0];
  }

  private static long[] lastDim(Value x) {
    var s = Facts.shape(x);
    if (s == null || !s.hasRank() || s.rank() < 1
        || !(s.dims().get(s.rank() - 1) instanceof dev.convoy.ir.graph.Dim.Static st)) {
      return null;
    }
    return new long[] {st.size()};
  }

  /** {@code n} as {@code x / sqrt(mean(x^2) + eps)}, its nodes added to {@code chain}. */
  private static Match<Found> normalized(Node n, List<Node> chain) {
    Value x = n.input(0);
    Value denom = null;
    if (n.is("Div")) {
      denom = n.input(1);
    } else if (n.is("Mul")) {
      for (int side = 0; side < 2 && denom == null; side++) {
        Node r = n.input(side) == null ? null : n.input(side).producer();
        if (r != null && Matchers.soleProducer(n.input(side), r.opType()).ok()
            && (r.is("Reciprocal") || r.is("Div") && Matchers.isScalar(r.input(0), 1.0))) {
          chain.add(r);
          denom = r.is("Reciprocal") ? r.input(0) : r.input(1);
          x = n.input(1 - side);
        }
      }
    }
    if (denom == null || x == null || Facts.dtype(x) != DType.FLOAT || lastDim(x) == null) {
      return Match.fail(n.name() + " does not divide a float32 value with a known last dim");
    }
    Node centered = x.producer();
    if (centered != null && centered.is("Sub") && centered.input(1) != null
        && centered.input(1).producer() != null
        && centered.input(1).producer().is("ReduceMean")
        && centered.input(1).producer().input(0) == centered.input(0)) {
      return Match.fail(x.name() + " is centered: a LayerNormalization chain");
    }
    Match<Node> sqrt = Matchers.soleProducer(denom, "Sqrt");
    if (!sqrt.ok()) {
      return sqrt.cast();
    }
    Match<Node> add = Matchers.soleProducer(sqrt.value().input(0), "Add");
    if (!add.ok()) {
      return add.cast();
    }
    int epsSide = Matchers.scalar(add.value().input(1)) != null ? 1 : 0;
    Double eps = Matchers.scalar(add.value().input(epsSide));
    if (eps == null || !(eps >= 0) || Double.isInfinite(eps)
        || !Matchers.keepsShape(x, add.value().input(epsSide))) {
      return Match.fail(add.value().name() + " does not add a non-negative epsilon");
    }
    Match<Node> mean = Matchers.soleProducer(add.value().input(1 - epsSide), "ReduceMean");
    if (!mean.ok()) {
      return mean.cast();
    }
    Node rm = mean.value();
    int rank = Facts.rank(x);
    long[] axes = Facts.attrOrInput(rm, "axes", 1, null);
    if (rm.intAttr("keepdims", 1) != 1 || axes == null || axes.length != 1
        || !Arrays.equals(Facts.normalizeAxes(axes, rank), new long[] {rank - 1})) {
      return Match.fail(rm.name() + " does not average the last axis keeping dims");
    }
    Node sq = rm.input(0) == null ? null : rm.input(0).producer();
    boolean square = sq != null && Matchers.soleProducer(rm.input(0), sq.opType()).ok()
        && (sq.is("Pow") && sq.input(0) == x && Matchers.isScalar(sq.input(1), 2.0)
            && Matchers.keepsShape(x, sq.input(1))
            || sq.is("Mul") && sq.input(0) == x && sq.input(1) == x);
    if (!square) {
      return Match.fail(rm.name() + " does not average " + x.name() + " squared");
    }
    chain.addAll(List.of(sqrt.value(), add.value(), rm, sq));
    return Match.of(new Found(x, null, eps.floatValue(), chain));
  }

  @Override
  public void apply(Node root, Found m, Rewriter rw) {
    Value scale = m.scale();
    if (scale == null) {
      long d = lastDim(m.x())[0];
      float[] ones = new float[(int) d];
      Arrays.fill(ones, 1f);
      scale = rw.constant(root.graph(), Tensor.ofFloats(new long[] {d}, ones),
          root.output(0).name() + "_scale");
    }
    for (String a : new ArrayList<>(root.attributes().keySet())) {
      rw.removeAttribute(root, a);
    }
    rw.setOpType(root, "RMSNormalization");
    rw.setInputs(root, new ArrayList<>(List.of(m.x(), scale)));
    rw.setAttribute(root, "axis", new Attribute.IntAttr(-1));
    rw.setAttribute(root, "epsilon", new Attribute.FloatAttr(m.epsilon()));
    for (Node n : m.chain()) {
      rw.erase(n);
    }
  }
}
