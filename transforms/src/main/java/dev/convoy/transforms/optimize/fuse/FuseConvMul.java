package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Node;
import dev.convoy.transforms.optimize.Binding;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.PatternTree;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.TreeRule;

/**
 * {@code Conv(x, W, b) * c} with a constant {@code c} that varies only along the output channels
 * is {@code Conv(x, W * c, b * c)}. The Conv's output must feed only the Mul.
 */
public final class FuseConvMul implements TreeRule<ConvWeights.ChannelOperand> {
  public static final String NAME = "fuse-conv-mul";

  private static final PatternTree TREE = ConvWeights.convThen("Mul");

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
  public void apply(Node mul, ConvWeights.ChannelOperand op, Rewriter rw) {
    ConvWeights.absorb(mul, op.conv(), op.values(), new float[op.values().length], rw);
  }
}
