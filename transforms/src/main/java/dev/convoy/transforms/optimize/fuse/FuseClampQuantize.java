package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Matchers;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;

/**
 * {@code QuantizeLinear(Relu(x))} is {@code QuantizeLinear(x)} when the zero point is the
 * quantized type's minimum, and {@code QuantizeLinear(Clip(x, lo, hi))} is when {@code lo}
 * quantizes to that minimum and {@code hi} to the maximum, for every scale and zero point (the
 * clamp then does what the quantizer's saturation does anyway). With positive scales,
 * {@code q(x) = saturate(round(x / s) + zp)} is non-decreasing in x, so an input below {@code lo}
 * quantizes to at most {@code q(lo)}, the minimum, exactly as {@code lo} itself does; above
 * {@code hi} likewise; in between the clamp is the identity. {@code q(lo)} is judged in float64
 * with a margin of 1/1000 of a step from the rounding tie, far beyond float32's error in
 * {@code lo / s}, so ONNX Runtime's way of dividing cannot tip it. Relu is the clamp to
 * {@code [0, +inf]}: {@code q(0) = zp}. The clamp must feed only the QuantizeLinear. This is
 * ONNX Runtime's Relu/Clip-QuantizeLinear fusion, in standard ONNX.
 */
public final class FuseClampQuantize implements MatchingRule<FuseClampQuantize.Found> {
  public static final String NAME = "fuse-clamp-quantize";

  /** Margin, in quantization steps, kept from a rounding tie when judging a bound. */
  private static final double TIE_MARGIN = 1e-3;

  /** The clamp that goes and the input the quantizer reads instead. */
  public record Found(Node clamp, Value x) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("QuantizeLinear");
  }

  @Override
  public Match<Found> match(Node q, Rewriter rw) {
    Value in = q.input(0);
    Node clamp = in == null ? null : in.producer();
    if (clamp == null || !(clamp.is("Relu") || clamp.is("Clip")) || !clamp.domain().isEmpty()) {
      return Match.fail((in == null ? "the input" : in.name()) + " is not a Relu or Clip");
    }
    Match<Node> sole = Matchers.soleProducer(in, clamp.opType());
    if (!sole.ok()) {
      return sole.cast();
    }
    Match<QuantParams> params = QuantParams.of(q);
    if (!params.ok()) {
      return params.cast();
    }
    double lo = 0;
    double hi = Double.POSITIVE_INFINITY;
    if (clamp.is("Clip")) {
      double[] b = clipBounds(clamp);
      if (b == null) {
        return Match.fail("Clip " + clamp.name() + " has bounds that are not float constants");
      }
      lo = b[0];
      hi = b[1];
    }
    QuantParams p = params.value();
    for (double s : p.scales()) {
      for (long zp : p.zeroPoints()) {
        if (!(lo / s + zp <= p.min() + 0.5 - TIE_MARGIN)
            || !(hi / s + zp >= p.max() - 0.5 + TIE_MARGIN)) {
          return Match.fail(clamp.opType() + " " + clamp.name() + " bounds [" + lo + ", " + hi
              + "] do not quantize to [" + p.min() + ", " + p.max() + "] with scale " + s
              + " and zero point " + zp);
        }
      }
    }
    return Match.of(new Found(clamp, clamp.input(0)));
  }

  /** A Clip's constant bounds (absent: the type's lowest and largest), or null. */
  private static double[] clipBounds(Node clip) {
    double[] b = {-Float.MAX_VALUE, Float.MAX_VALUE};
    if (clip.graph().opsetVersion("") < 11) {
      b[0] = clip.floatAttr("min", -Float.MAX_VALUE);
      b[1] = clip.floatAttr("max", Float.MAX_VALUE);
      return b;
    }
    for (int i = 1; i <= 2; i++) {
      Value v = i < clip.inputCount() ? clip.input(i) : null;
      if (v == null) {
        continue;
      }
      Double d = Matchers.scalar(v);
      if (d == null || Double.isNaN(d)) {
        return null;
      }
      b[i - 1] = d;
    }
    return b;
  }

  @Override
  public void apply(Node q, Found m, Rewriter rw) {
    rw.setInput(q, 0, m.x());
    rw.erase(m.clamp());
  }
}
