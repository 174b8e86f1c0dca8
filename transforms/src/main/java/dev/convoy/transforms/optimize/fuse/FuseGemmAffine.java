package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;

/**
 * An inference BatchNormalization, or a Mul or Add by a per-column constant, after a Gemm with a
 * constant float32 {@code B} (and {@code C}, if any, a scalar or a vector over the columns) is one
 * Gemm. Column {@code n} of {@code alpha * A * B + beta * C} times {@code s[n]} plus {@code t[n]}
 * is {@code alpha * A * (B's column n times s[n]) + (beta * C[n] * s[n] + t[n])}: the new B has
 * its columns (rows when {@code transB}) scaled, the new C is that vector, and beta becomes 1.
 * Folding is done in float64 and rounded to float32 once; a non-positive {@code var + epsilon} or
 * a folded value that is not finite in float32 leaves the pair alone. The Gemm must feed only the
 * root.
 */
public final class FuseGemmAffine implements MatchingRule<FuseGemmAffine.Found> {
  public static final String NAME = "fuse-gemm-affine";

  /** The Gemm and its folded B and C. */
  public record Found(Node gemm, Tensor b, Tensor c) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("BatchNormalization", "Mul", "Add");
  }

  @Override
  public Match<Found> match(Node root, Rewriter rw) {
    Match<Value> xm = ChannelAffine.soleProducedInput(root, "Gemm");
    if (!xm.ok()) {
      return xm.cast();
    }
    Value x = xm.value();
    Node gemm = x.producer();
    Tensor b = gemm.input(1) == null ? null : gemm.input(1).constant();
    if (b == null || b.dtype() != DType.FLOAT || b.rank() != 2) {
      return Match.fail("Gemm " + gemm.name() + " has no constant float32 matrix B");
    }
    boolean transB = gemm.intAttr("transB", 0) != 0;
    int n = (int) (transB ? b.dim(0) : b.dim(1));
    int k = (int) (transB ? b.dim(1) : b.dim(0));
    Value cv = gemm.inputCount() > 2 ? gemm.input(2) : null;
    double[] cOld = new double[n];
    if (cv != null) {
      Tensor c = cv.constant();
      float[] per = c == null ? null : ConvWeights.perChannel(c, n, 2);
      if (per == null) {
        return Match.fail("Gemm " + gemm.name() + " has a C that is not a float32 constant"
            + " varying only along its " + n + " columns");
      }
      double beta = gemm.floatAttr("beta", 1f);
      for (int i = 0; i < n; i++) {
        cOld[i] = beta * per[i];
      }
    }
    Match<ChannelAffine> affine = ChannelAffine.of(root, x, n);
    if (!affine.ok()) {
      return affine.cast();
    }
    double[] s = affine.value().scale();
    double[] t = affine.value().shift();
    float[] bv = b.toFloatArray();
    double[] folded = new double[bv.length];
    for (int r = 0; r < k; r++) {
      for (int col = 0; col < n; col++) {
        int i = transB ? col * k + r : r * n + col;
        folded[i] = bv[i] * s[col];
      }
    }
    double[] c = new double[n];
    for (int col = 0; col < n; col++) {
      c[col] = cOld[col] * s[col] + t[col];
    }
    float[] b32 = ChannelAffine.rounded(folded);
    float[] c32 = ChannelAffine.rounded(c);
    if (b32 == null || c32 == null) {
      return Match.fail("folding " + root.name() + " into Gemm " + gemm.name()
          + " gives values that are not finite in float32");
    }
    return Match.of(new Found(gemm, Tensor.ofFloats(b.dims(), b32),
        Tensor.ofFloats(new long[] {n}, c32)));
  }

  @Override
  public void apply(Node root, Found m, Rewriter rw) {
    rw.setAttribute(m.gemm(), "beta", new Attribute.FloatAttr(1f));
    ChannelAffine.absorb(root, m.gemm(), m.b(), m.c(), rw);
  }
}
