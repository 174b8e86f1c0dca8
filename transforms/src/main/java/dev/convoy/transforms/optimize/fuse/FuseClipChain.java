package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Matchers;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.ArrayList;
import java.util.List;

/**
 * Two clamps in a row are one {@code Clip}. Relu is the clamp to {@code [0, +inf]}; Clip to
 * {@code [min, max]} (absent bounds are float32's lowest and largest values, as the spec says);
 * {@code Max(x, c)} and {@code Min(x, c)} with a one-element constant {@code c} that keeps x's
 * shape are the clamps to {@code [c, +inf]} and {@code [-inf, c]}. For clamps to {@code [a1, a2]}
 * then {@code [b1, b2]} (each with its lower bound at most its upper one) whose bounds overlap,
 * {@code L = max(a1, b1) <= H = min(a2, b2)}, the pair is the clamp to {@code [L, H]}: an input
 * below {@code L} comes out as {@code L} either way, one above {@code H} as {@code H}, and one in
 * between passes both unchanged. A {@code LeakyRelu} with {@code alpha >= 0} before a clamp whose
 * lower bound is positive vanishes: it keeps non-negative inputs and maps negative ones to
 * {@code alpha * x <= 0}, which the clamp raises to its lower bound exactly as it raises x. The
 * root becomes {@code Clip} (bounds as inputs from opset 11, attributes from opset 6) on float32
 * only; the inner node must feed only the root. Non-overlapping bounds (the result would be a
 * constant) and a LeakyRelu before a lower bound of zero or less (there {@code alpha * x} shows
 * through) are left alone. As with ONNX Runtime's Relu-Clip fusion, what a NaN input gives is
 * the fused op's behaviour (ONNX does not define NaN for Min, Max or Clip).
 */
public final class FuseClipChain implements MatchingRule<FuseClipChain.Found> {
  public static final String NAME = "fuse-clip-chain";

  /** The clamp's input and its bounds after fusion, and the inner node that goes. */
  public record Found(Value x, float lo, float hi, Node inner) {}

  /** A node seen as a clamp of {@code x} to {@code [lo, hi]}. */
  private record Clamp(Value x, float lo, float hi) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Relu", "Clip", "Max", "Min");
  }

  @Override
  public Match<Found> match(Node root, Rewriter rw) {
    if (root.graph().opsetVersion("") < 6) {
      return Match.fail("Clip with bounds needs opset 6");
    }
    Match<Clamp> outer = clamp(root);
    if (!outer.ok()) {
      return outer.cast();
    }
    Clamp b = outer.value();
    Node inner = b.x().producer();
    if (inner == null || !inner.domain().isEmpty()) {
      return Match.fail(b.x().name() + " is not produced by a clamp");
    }
    Match<Node> sole = Matchers.soleProducer(b.x(), inner.opType());
    if (!sole.ok()) {
      return sole.cast();
    }
    if (inner.is("LeakyRelu")) {
      float alpha = inner.floatAttr("alpha", 0.01f);
      if (!(alpha >= 0) || !(b.lo() > 0)) {
        return Match.fail("LeakyRelu alpha " + alpha + " before lower bound " + b.lo()
            + " would show through");
      }
      return Match.of(new Found(inner.input(0), b.lo(), b.hi(), inner));
    }
    Match<Clamp> in = clamp(inner);
    if (!in.ok()) {
      return in.cast();
    }
    Clamp a = in.value();
    float lo = Math.max(a.lo(), b.lo());
    float hi = Math.min(a.hi(), b.hi());
    if (!(lo <= hi)) {
      return Match.fail("bounds [" + a.lo() + ", " + a.hi() + "] and [" + b.lo() + ", " + b.hi()
          + "] do not overlap");
    }
    return Match.of(new Found(a.x(), lo, hi, inner));
  }

  /** {@code n} as a float32 clamp with constant bounds, or why it is not one. */
  private static Match<Clamp> clamp(Node n) {
    Value x = n.input(0);
    if (x == null || Facts.dtype(x) != DType.FLOAT) {
      return Match.fail(n.opType() + " " + n.name() + " is not on float32");
    }
    switch (n.opType()) {
      case "Relu":
        return Match.of(new Clamp(x, 0f, Float.POSITIVE_INFINITY));
      case "Clip": {
        float lo;
        float hi;
        if (n.graph().opsetVersion("") < 11) {
          lo = n.floatAttr("min", -Float.MAX_VALUE);
          hi = n.floatAttr("max", Float.MAX_VALUE);
        } else {
          Float l = bound(n, 1, -Float.MAX_VALUE);
          Float h = bound(n, 2, Float.MAX_VALUE);
          if (l == null || h == null) {
            return Match.fail("Clip " + n.name() + " has a bound that is not a constant");
          }
          lo = l;
          hi = h;
        }
        return lo <= hi ? Match.of(new Clamp(x, lo, hi))
            : Match.fail("Clip " + n.name() + " has min above max");
      }
      case "Max":
      case "Min": {
        if (n.inputCount() != 2) {
          return Match.fail(n.opType() + " " + n.name() + " does not have two inputs");
        }
        for (int side = 0; side < 2; side++) {
          Value c = n.input(1 - side);
          Double v = Matchers.scalar(c);
          Value other = n.input(side);
          if (v != null && c.constant().dtype() == DType.FLOAT && other != null
              && Facts.dtype(other) == DType.FLOAT && Matchers.keepsShape(other, c)
              && !Double.isNaN(v)) {
            float f = v.floatValue();
            return Match.of(n.is("Max")
                ? new Clamp(other, f, Float.POSITIVE_INFINITY)
                : new Clamp(other, Float.NEGATIVE_INFINITY, f));
          }
        }
        return Match.fail(n.opType() + " " + n.name()
            + " has no one-element float32 constant operand that keeps the shape");
      }
      default:
        return Match.fail(n.opType() + " " + n.name() + " is not a clamp");
    }
  }

  /** Clip bound {@code index}: its constant value, {@code absent} when omitted, else null. */
  private static Float bound(Node clip, int index, float absent) {
    Value v = index < clip.inputCount() ? clip.input(index) : null;
    if (v == null) {
      return absent;
    }
    Double d = Matchers.scalar(v);
    return d == null || Double.isNaN(d) || v.constant().dtype() != DType.FLOAT
        ? null : d.floatValue();
  }

  @Override
  public void apply(Node root, Found m, Rewriter rw) {
    for (String a : new ArrayList<>(root.attributes().keySet())) {
      rw.removeAttribute(root, a);
    }
    rw.setOpType(root, "Clip");
    if (root.graph().opsetVersion("") < 11) {
      rw.setInputs(root, List.of(m.x()));
      rw.setAttribute(root, "min", new Attribute.FloatAttr(m.lo()));
      rw.setAttribute(root, "max", new Attribute.FloatAttr(m.hi()));
    } else {
      String base = root.output(0).name();
      Value lo = rw.constant(root.graph(), Tensor.ofFloats(new long[0], m.lo()), base + "_min");
      Value hi = rw.constant(root.graph(), Tensor.ofFloats(new long[0], m.hi()), base + "_max");
      rw.setInputs(root, List.of(m.x(), lo, hi));
    }
    rw.erase(m.inner());
  }
}
