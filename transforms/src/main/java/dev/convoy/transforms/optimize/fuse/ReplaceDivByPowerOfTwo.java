package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;

/**
 * {@code Div(x, c)} by a float32 constant whose every element is a power of two {@code 2^k} with
 * {@code |k| <= 126} is {@code Mul(x, 1 / c)}: the reciprocal {@code 2^-k} is then an exact normal
 * float, so {@code x / c} and {@code x * (1 / c)} are the same real number correctly rounded, for
 * every x (zeros, infinities and NaN included). A multiplication is cheaper than a division, and a
 * Mul can meet the Mul fusions. Any other divisor (a reciprocal that rounds) is left alone.
 */
public final class ReplaceDivByPowerOfTwo implements MatchingRule<Tensor> {
  public static final String NAME = "replace-div-by-power-of-two";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Div");
  }

  @Override
  public Match<Tensor> match(Node div, Rewriter rw) {
    Value c = div.input(1);
    Tensor t = c == null ? null : c.constant();
    if (t == null || t.dtype() != DType.FLOAT) {
      return Match.fail(div.name() + " does not divide by a float32 constant");
    }
    float[] v = t.toFloatArray();
    float[] r = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      int bits = Float.floatToRawIntBits(v[i]);
      int exp = Math.getExponent(v[i]);
      if ((bits & 0x7fffff) != 0 || exp < -126 || exp > 126) {
        return Match.fail(div.name() + " divides by " + v[i] + ", not a power of two with an"
            + " exact reciprocal");
      }
      r[i] = 1 / v[i];
    }
    return Match.of(Tensor.ofFloats(t.dims(), r));
  }

  @Override
  public void apply(Node div, Tensor reciprocal, Rewriter rw) {
    Value r = rw.constant(div.graph(), reciprocal, div.input(1).name() + "_reciprocal");
    rw.setOpType(div, "Mul");
    rw.setInput(div, 1, r);
  }
}
