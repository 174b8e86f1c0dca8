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
 * An inference BatchNormalization, or a Mul or Add by a per-output-channel constant, after a
 * ConvTranspose with constant float32 weight (and bias) is one ConvTranspose. Every output channel
 * {@code o} of a ConvTranspose is a sum of products with the weights {@code W[ci, j, ...]} for
 * which {@code o = (ci / (C / group)) * (M / group) + j}, plus {@code b[o]}; so
 * {@code y[o] * s[o] + t[o]} is the ConvTranspose with those weights times {@code s[o]} and bias
 * {@code b[o] * s[o] + t[o]}. Scale, shift and folded values are computed in float64 and rounded to
 * float32 once; a channel whose {@code var + epsilon} is not positive, or a folded value that is
 * not finite in float32, leaves the pair alone (the runtime's NaN and infinities would differ).
 * The ConvTranspose must feed only the root.
 */
public final class FuseConvTransposeAffine implements MatchingRule<FuseConvTransposeAffine.Found> {
  public static final String NAME = "fuse-convtranspose-affine";

  /** The ConvTranspose and its folded weight and bias. */
  public record Found(Node convT, Tensor weight, Tensor bias) {}

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
    Match<Value> xm = ChannelAffine.soleProducedInput(root, "ConvTranspose");
    if (!xm.ok()) {
      return xm.cast();
    }
    Value x = xm.value();
    Node convT = x.producer();
    Tensor w = convT.input(1) == null ? null : convT.input(1).constant();
    Value bv = convT.inputCount() > 2 ? convT.input(2) : null;
    Tensor b = bv == null ? null : bv.constant();
    if (w == null || w.dtype() != DType.FLOAT || w.rank() < 3
        || (bv != null && (b == null || b.dtype() != DType.FLOAT))) {
      return Match.fail("ConvTranspose " + convT.name()
          + " has no constant float32 weight and bias");
    }
    int group = (int) convT.intAttr("group", 1);
    int perGroupOut = (int) w.dim(1);
    int channels = perGroupOut * group;
    Match<ChannelAffine> affine = ChannelAffine.of(root, x, channels);
    if (!affine.ok()) {
      return affine.cast();
    }
    double[] s = affine.value().scale();
    double[] t = affine.value().shift();
    float[] wv = w.toFloatArray();
    int inPerGroup = (int) (w.dim(0) / group);
    int spatial = (int) (w.numElements() / (w.dim(0) * w.dim(1)));
    double[] folded = new double[wv.length];
    for (int ci = 0; ci < w.dim(0); ci++) {
      for (int j = 0; j < perGroupOut; j++) {
        int o = (ci / inPerGroup) * perGroupOut + j;
        int base = (ci * perGroupOut + j) * spatial;
        for (int k = 0; k < spatial; k++) {
          folded[base + k] = wv[base + k] * s[o];
        }
      }
    }
    double[] bias = new double[channels];
    float[] bOld = b == null ? new float[channels] : b.toFloatArray();
    for (int o = 0; o < channels; o++) {
      bias[o] = bOld[o] * s[o] + t[o];
    }
    float[] w32 = ChannelAffine.rounded(folded);
    float[] b32 = ChannelAffine.rounded(bias);
    if (w32 == null || b32 == null) {
      return Match.fail("folding " + root.name() + " into ConvTranspose " + convT.name()
          + " gives values that are not finite in float32");
    }
    return Match.of(new Found(convT, Tensor.ofFloats(w.dims(), w32),
        Tensor.ofFloats(new long[] {channels}, b32)));
  }

  @Override
  public void apply(Node root, Found m, Rewriter rw) {
    ChannelAffine.absorb(root, m.convT(), m.weight(), m.bias(), rw);
  }
}
