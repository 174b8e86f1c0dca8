package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Node;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Rule;

/**
 * {@code Conv(x, W, b) * c} with a constant {@code c} that varies only along the output channels
 * is {@code Conv(x, W * c, b * c)}. The Conv's output must feed only the Mul.
 */
public final class FuseConvMul implements Rule {
  public static final String NAME = "fuse-conv-mul";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Mul");
  }

  @Override
  public boolean matches(Node mul, Rewriter rw) {
    ConvWeights.ChannelOperand op = ConvWeights.channelOperand(mul);
    return op != null && rw.canReplace(mul.output(0), op.conv().output(0));
  }

  @Override
  public void rewrite(Node mul, Rewriter rw) {
    ConvWeights.ChannelOperand op = ConvWeights.channelOperand(mul);
    ConvWeights.absorb(mul, op.conv(), op.values(), new float[op.values().length], rw);
  }
}
