package dev.convoy.transforms.optimize.fuse;

import static dev.convoy.transforms.optimize.PatternTree.constant;
import static dev.convoy.transforms.optimize.PatternTree.op;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Binding;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.PatternTree;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.TreeRule;

/**
 * {@code BatchNormalization(Conv(x, W, b))} in inference, with constant float statistics, is one
 * Conv: with {@code s = scale / sqrt(var + eps)}, {@code W' = W * s} per output channel and
 * {@code b' = (b - mean) * s + B}. The Conv's output must feed only the BatchNormalization, whose
 * training outputs must be absent or unread. Every folded weight and bias must be finite: where
 * {@code var + eps} is zero the BatchNormalization divides by zero and ONNX Runtime's NaN and
 * infinities come out differently from a Conv with infinite weights, so it is not fused.
 */
public final class FuseConvBatchNorm implements TreeRule<FuseConvBatchNorm.Found> {
  public static final String NAME = "fuse-conv-batchnorm";

  private static final PatternTree TREE = op("BatchNormalization", ConvWeights.CONV,
      constant("scale"), constant("bias"), constant("mean"), constant("var"));

  /** The Conv and, per output channel, the scale and shift it absorbs. */
  public record Found(Node conv, float[] scale, float[] shift) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public PatternTree tree() {
    return TREE;
  }

  @Override
  public Match<Found> check(Binding b, Rewriter rw) {
    Node bn = b.root();
    for (int k = 1; k < bn.outputCount(); k++) {
      if (bn.output(k) != null && bn.output(k).hasUses()) {
        return Match.fail(bn.output(k).name() + ", a training output, is read");
      }
    }
    if (bn.intAttr("training_mode", 0) != 0) {
      return Match.fail(bn + " is in training mode");
    }
    Node conv = b.node("conv");
    String notFoldable = ConvWeights.notFoldable(conv);
    if (notFoldable != null) {
      return Match.fail(notFoldable);
    }
    int m = ConvWeights.outChannels(conv);
    for (int i = 1; i <= 4; i++) {
      if (vector(bn.input(i), m) == null) {
        return Match.fail(bn.input(i).name() + " is not a float32 vector of " + m);
      }
    }
    if (!rw.canReplace(bn.output(0), conv.output(0))) {
      return Match.fail(bn.output(0).name() + " is a graph output the Conv cannot take over");
    }
    if (!foldsFinite(bn, conv, m)) {
      rw.note(NAME + ": " + bn + " divides by zero (var + epsilon = 0) or its folded weights"
          + " overflow float32; left unfused, as ONNX Runtime's NaN and infinities would differ");
      return Match.fail(bn + " would fold into non-finite weights");
    }
    float[][] affine = affine(bn, m);
    return Match.of(new Found(conv, affine[0], affine[1]));
  }

  /** Whether every scale, shift, scaled weight and scaled bias is a finite float. */
  private static boolean foldsFinite(Node bn, Node conv, int m) {
    float[][] affine = affine(bn, m);
    double largest = maxAbs(conv.input(1).constant());
    if (conv.input(2) != null) {
      largest = Math.max(largest, maxAbs(conv.input(2).constant()));
    }
    for (int o = 0; o < m; o++) {
      float scale = affine[0][o];
      if (!Float.isFinite(scale) || !Float.isFinite(affine[1][o])
          || !(largest * Math.abs(scale) + Math.abs(affine[1][o]) <= Float.MAX_VALUE)) {
        return false;
      }
    }
    return true;
  }

  private static double maxAbs(Tensor t) {
    double m = 0;
    for (float v : t.toFloatArray()) {
      m = Math.max(m, Math.abs(v));
    }
    return m;
  }

  /** Per output channel, the scale {@code gamma / sqrt(var + eps)} and the shift. */
  private static float[][] affine(Node bn, int m) {
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
    return new float[][] {scale, shift};
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
  public void apply(Node bn, Found m, Rewriter rw) {
    ConvWeights.absorb(bn, m.conv(), m.scale(), m.shift(), rw);
  }
}
