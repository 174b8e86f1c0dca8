package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Node;
import dev.convoy.transforms.optimize.Binding;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.PatternTree;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.TreeRule;
import java.util.Arrays;

/**
 * {@code Conv(x, W, b) + c} with a constant {@code c} that varies only along the output channels
 * is {@code Conv(x, W, b + c)}. The Conv's output must feed only the Add.
 */
public final class FuseConvAdd implements TreeRule<ConvWeights.ChannelOperand> {
  public static final String NAME = "fuse-conv-add";

  private static final PatternTree TREE = ConvWeights.convThen("Add");

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public PatternTree tree() {
    return TREE;
  }

  @Override
  public Match<ConvWeights.ChannelOperand> check(Binding m, Rewriter rw) {
    return ConvWeights.channelOperand(m, rw);
  }

  @Override
  public void apply(Node add, ConvWeights.ChannelOperand op, Rewriter rw) {
    float[] ones = new float[op.values().length];
    Arrays.fill(ones, 1f);
    ConvWeights.absorb(add, op.conv(), ones, op.values(), rw);
  }
}
