package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Node;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Rule;

/**
 * {@code Conv(x, W, b) + c} with a constant {@code c} that varies only along the output channels
 * is {@code Conv(x, W, b + c)}. The Conv's output must feed only the Add.
 */
public final class FuseConvAdd implements Rule {
  public static final String NAME = "fuse-conv-add";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Add");
  }

  @Override
  public boolean matches(Node add, Rewriter rw) {
    ConvWeights.ChannelOperand op = ConvWeights.channelOperand(add);
    return op != null && rw.canReplace(add.output(0), op.conv().output(0));
  }

  @Override
  public void rewrite(Node add, Rewriter rw) {
    ConvWeights.ChannelOperand op = ConvWeights.channelOperand(add);
    float[] ones = new float[op.values().length];
    java.util.Arrays.fill(ones, 1f);
    ConvWeights.absorb(add, op.conv(), ones, op.values(), rw);
  }
}
