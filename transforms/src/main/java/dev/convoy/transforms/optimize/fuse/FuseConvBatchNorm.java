package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Rule;

/**
 * {@code BatchNormalization(Conv(x, W, b))} in inference, with constant float statistics, is one
 * Conv: with {@code s = scale / sqrt(var + eps)}, {@code W' = W * s} per output channel and
 * {@code b' = (b - mean) * s + B}. The Conv's output must feed only the BatchNormalization, whose
 * training outputs must be absent or unread.
 */
public final class FuseConvBatchNorm implements Rule {
  public static final String NAME = "fuse-conv-batchnorm";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("BatchNormalization");
  }

  @Override
  public boolean matches(Node bn, Rewriter rw) {
    for (int k = 1; k < bn.outputCount(); k++) {
      if (bn.output(k) != null && bn.output(k).hasUses()) {
        return false;
      }
    }
    if (bn.intAttr("training_mode", 0) != 0) {
      return false;
    }
    Node conv = ConvWeights.foldableConv(bn.input(0));
    if (conv == null) {
      return false;
    }
    int m = ConvWeights.outChannels(conv);
    for (int i = 1; i <= 4; i++) {
      Value p = bn.input(i);
      if (vector(p, m) == null) {
        return false;
      }
    }
    return rw.canReplace(bn.output(0), conv.output(0));
  }

  /** A constant float32 vector of {@code m} values, or null. */
  private static float[] vector(Value v, int m) {
    Tensor t = v == null ? null : v.constant();
    if (t == null || t.dtype() != DType.FLOAT || t.rank() != 1 || t.dim(0) != m) {
      return null;
    }
    return t.toFloatArray();
  }

  @Override
  public void rewrite(Node bn, Rewriter rw) {
    Node conv = bn.input(0).producer();
    int m = ConvWeights.outChannels(conv);
    float[] gamma = vector(bn.input(1), m);
    float[] beta = vector(bn.input(2), m);
    float[] mean = vector(bn.input(3), m);
    float[] var = vector(bn.input(4), m);
    double eps = bn.floatAttr("epsilon", 1e-5f);
    float[] scale = new float[m];
    float[] shift = new float[m];
    for (int o = 0; o < m; o++) {
      scale[o] = (float) (gamma[o] / Math.sqrt(var[o] + eps));
      shift[o] = beta[o] - mean[o] * scale[o];
    }
    ConvWeights.absorb(bn, conv, scale, shift, rw);
  }
}
