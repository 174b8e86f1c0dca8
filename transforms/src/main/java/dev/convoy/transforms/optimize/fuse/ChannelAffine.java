package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.Matchers;
import dev.convoy.transforms.optimize.Rewriter;

/**
 * A per-channel affine map {@code y = x * scale[c] + shift[c]} (channel axis 1) read off an
 * inference-mode BatchNormalization, or a Mul or Add whose other operand is a constant varying
 * only along the channel axis, in float64 so that folding it into weights rounds once. What the
 * ConvTranspose and Gemm affine fusions share.
 */
record ChannelAffine(double[] scale, double[] shift) {

  /**
   * The input of {@code root} (a BatchNormalization's first, either of a Mul's or Add's) that an
   * {@code op} produces for it alone, or why there is none.
   */
  static Match<Value> soleProducedInput(Node root, String op) {
    int sides = root.is("BatchNormalization") ? 1 : 2;
    for (int side = 0; side < sides; side++) {
      Value v = root.input(side);
      if (v != null && v.producer() != null && v.producer().is(op)
          && v.producer().domain().isEmpty()) {
        Match<Node> m = Matchers.soleProducer(v, op);
        return m.ok() ? Match.of(v) : m.cast();
      }
    }
    return Match.fail("no input of " + root.name() + " is produced by " + op);
  }

  /**
   * The affine map {@code root} applies to {@code x} (one of its inputs, with {@code channels}
   * channels on axis 1), or why it is not one.
   */
  static Match<ChannelAffine> of(Node root, Value x, int channels) {
    int rank = Facts.rank(x);
    if (rank < 2) {
      return Match.fail(x.name() + " has no channel axis");
    }
    if (root.is("BatchNormalization")) {
      return batchNorm(root, x, channels);
    }
    int side = root.input(0) == x ? 1 : 0;
    Value c = root.input(side);
    float[] v = c == null ? null : ConvWeights.perChannel(c.constant(), channels, rank);
    if (v == null) {
      return Match.fail(root.opType() + " " + root.name()
          + " has no float32 constant that varies only along the " + channels + " channels");
    }
    double[] scale = new double[channels];
    double[] shift = new double[channels];
    for (int i = 0; i < channels; i++) {
      scale[i] = root.is("Mul") ? v[i] : 1;
      shift[i] = root.is("Add") ? v[i] : 0;
    }
    return Match.of(new ChannelAffine(scale, shift));
  }

  private static Match<ChannelAffine> batchNorm(Node bn, Value x, int channels) {
    if (bn.input(0) != x) {
      return Match.fail("BatchNormalization " + bn.name() + " normalizes another input");
    }
    if (bn.intAttr("training_mode", 0) != 0) {
      return Match.fail("BatchNormalization " + bn.name() + " is in training mode");
    }
    for (int k = 1; k < bn.outputCount(); k++) {
      if (bn.output(k) != null && bn.output(k).hasUses()) {
        return Match.fail("BatchNormalization " + bn.name() + " has its running statistics read");
      }
    }
    double[][] p = new double[4][];
    for (int i = 0; i < 4; i++) {
      Tensor t = bn.input(i + 1) == null ? null : bn.input(i + 1).constant();
      if (t == null || t.dtype() != DType.FLOAT || t.rank() != 1 || t.dim(0) != channels) {
        return Match.fail("BatchNormalization " + bn.name() + " input " + (i + 1)
            + " is not a constant float32 vector of " + channels);
      }
      p[i] = t.toDoubleArray();
    }
    double eps = bn.floatAttr("epsilon", 1e-5f);
    double[] scale = new double[channels];
    double[] shift = new double[channels];
    for (int c = 0; c < channels; c++) {
      double var = p[3][c] + eps;
      if (!(var > 0)) {
        return Match.fail("BatchNormalization " + bn.name() + " channel " + c
            + " has var + epsilon = " + var + ", not positive");
      }
      scale[c] = p[0][c] / Math.sqrt(var);
      shift[c] = p[1][c] - p[2][c] * scale[c];
    }
    return Match.of(new ChannelAffine(scale, shift));
  }

  /** {@code values} rounded to float32 once; null when any is not finite there. */
  static float[] rounded(double[] values) {
    float[] out = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (float) values[i];
      if (!Float.isFinite(out[i])) {
        return null;
      }
    }
    return out;
  }

  /**
   * Makes {@code producer} (a ConvTranspose or Gemm whose output only {@code root} reads) use
   * {@code weight} as input 1 and {@code bias} as input 2, then lets {@code root}'s readers read
   * the producer and erases {@code root}.
   */
  static void absorb(Node root, Node producer, Tensor weight, Tensor bias, Rewriter rw) {
    rw.setInput(producer, 1, rw.constant(producer.graph(), weight, producer.input(1).name()));
    Value b = rw.constant(producer.graph(), bias, producer.output(0).name() + "_bias");
    if (producer.inputCount() > 2) {
      rw.setInput(producer, 2, b);
    } else {
      rw.addInput(producer, b);
    }
    rw.replace(root.output(0), producer.output(0));
    rw.erase(root);
  }
}
