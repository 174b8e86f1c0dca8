package dev.convoy.transforms.optimize.fuse;

import static dev.convoy.transforms.optimize.PatternTree.constant;
import static dev.convoy.transforms.optimize.PatternTree.var;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Binding;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.PatternTree;
import dev.convoy.transforms.optimize.Rewriter;

/**
 * What the Conv fusions share: the Conv pattern, reading a float Conv's constant weight and bias,
 * recognizing a per-output-channel constant, and writing the folded weight and bias back as new
 * initializers.
 */
final class ConvWeights {
  private ConvWeights() {}

  /** A foldable Conv read by one side of a binary op, and the other side's per-channel values. */
  record ChannelOperand(Node conv, float[] values) {}

  /**
   * {@code op(Conv(x, W, ...), c)} with a constant {@code c}, either operand order when {@code op}
   * is commutative; the Conv is bound as {@code conv}, the constant as {@code c}.
   */
  static PatternTree convThen(String op) {
    return PatternTree.op(op, CONV, constant("c"));
  }

  /** A Conv with a constant weight (and any bias input), bound as {@code conv}. */
  static final PatternTree.Op CONV =
      PatternTree.op("Conv", var("x"), constant("w")).withExtraInputs().named("conv");

  /**
   * For a {@link #convThen} binding: the {@link #foldable} Conv, of rank 3 or more, with the
   * constant varying only along the output channels ({@link #perChannel}), where the Conv can
   * take over the root's output; else why not.
   */
  static Match<ChannelOperand> channelOperand(Binding m, Rewriter rw) {
    Node conv = m.node("conv");
    String notFoldable = notFoldable(conv);
    if (notFoldable != null) {
      return Match.fail(notFoldable);
    }
    int rank = Facts.rank(conv.output(0));
    if (rank < 3) {
      return Match.fail(conv.output(0).name() + " is not known to be of rank 3 or more");
    }
    float[] c = perChannel(m.value("c").constant(), outChannels(conv), rank);
    if (c == null) {
      return Match.fail(m.value("c").name() + " does not vary along the output channels only");
    }
    if (!rw.canReplace(m.root().output(0), conv.output(0))) {
      return Match.fail(m.root().output(0).name() + " is a graph output the Conv cannot take over");
    }
    return Match.of(new ChannelOperand(conv, c));
  }

  /**
   * Null when {@code conv} has a constant float32 weight of rank 3 or more and a constant float32
   * bias or none; else why not.
   */
  static String notFoldable(Node conv) {
    Tensor w = conv.input(1).constant();
    Value b = conv.input(2);
    if (w.dtype() != DType.FLOAT || w.rank() < 3) {
      return conv.input(1).name() + " is not a float32 weight of rank 3 or more";
    }
    if (b != null && (b.constant() == null || b.constant().dtype() != DType.FLOAT)) {
      return conv + " has a bias that is not a float32 constant";
    }
    return null;
  }

  /** Output channels of a Conv's weight. */
  static int outChannels(Node conv) {
    return (int) conv.input(1).constant().dim(0);
  }

  /**
   * The per-channel values of a constant that broadcasts against a Conv output along the channel
   * axis only ({@code [M,1,..,1]}, {@code [1,M,1,..,1]}, or a single value), expanded to M
   * entries; null when it has any other shape or is not float32.
   */
  static float[] perChannel(Tensor t, int channels, int convRank) {
    if (t == null || t.dtype() != DType.FLOAT || t.rank() > convRank) {
      return null;
    }
    float[] v = t.toFloatArray();
    if (v.length == 1) {
      float[] out = new float[channels];
      java.util.Arrays.fill(out, v[0]);
      return out;
    }
    if (v.length != channels) {
      return null;
    }
    long[] d = t.dims();
    int channelAxis = d.length - (convRank - 1);
    for (int i = 0; i < d.length; i++) {
      if (i != channelAxis && d[i] != 1) {
        return null;
      }
    }
    return channelAxis >= 0 ? v : null;
  }

  /**
   * Folds {@code root}, the sole reader of {@code conv}'s output, into {@code conv}: the Conv's
   * weight becomes {@code W * scale[m]} and its bias {@code b * scale[m] + shift[m]}, then
   * {@code root}'s readers read the Conv and {@code root} goes.
   */
  static void absorb(Node root, Node conv, float[] scale, float[] shift, Rewriter rw) {
    rewriteWeights(conv, scale, shift, rw);
    rw.replace(root.output(0), conv.output(0));
    rw.erase(root);
  }

  private static void rewriteWeights(Node conv, float[] scale, float[] shift, Rewriter rw) {
    Tensor w = conv.input(1).constant();
    float[] wv = w.toFloatArray();
    int m = scale.length;
    int per = wv.length / m;
    for (int o = 0; o < m; o++) {
      for (int i = 0; i < per; i++) {
        wv[o * per + i] *= scale[o];
      }
    }
    float[] bias = new float[m];
    Value b = conv.input(2);
    if (b != null) {
      float[] bv = b.constant().toFloatArray();
      for (int o = 0; o < m; o++) {
        bias[o] = bv[o] * scale[o];
      }
    }
    boolean anyBias = b != null;
    for (int o = 0; o < m; o++) {
      bias[o] += shift[o];
      anyBias |= shift[o] != 0;
    }
    Value newW = rw.constant(conv.graph(), Tensor.ofFloats(w.dims(), wv), conv.input(1).name());
    rw.setInput(conv, 1, newW);
    if (!anyBias) {
      return;
    }
    Value newB = rw.constant(conv.graph(), Tensor.ofFloats(new long[] {m}, bias),
        b == null ? conv.output(0).name() + "_bias" : b.name());
    if (conv.inputCount() > 2) {
      rw.setInput(conv, 2, newB);
    } else {
      rw.addInput(conv, newB);
    }
  }
}
