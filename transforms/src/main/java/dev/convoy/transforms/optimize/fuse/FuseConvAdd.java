package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
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
    Object[] ops = operands(add);
    return ops != null && rw.canReplace(add.output(0), ((Node) ops[0]).output(0));
  }

  /** [conv node, per-channel values] or null. */
  private static Object[] operands(Node add) {
    for (int side = 0; side < 2; side++) {
      Value convOut = add.input(side);
      Value other = add.input(1 - side);
      Node conv = ConvWeights.foldableConv(convOut);
      int rank = Facts.rank(convOut);
      if (conv == null || other == null || other.constant() == null || rank < 3) {
        continue;
      }
      float[] c = ConvWeights.perChannel(other.constant(), ConvWeights.outChannels(conv), rank);
      if (c != null) {
        return new Object[] {conv, c};
      }
    }
    return null;
  }

  @Override
  public void rewrite(Node add, Rewriter rw) {
    Object[] ops = operands(add);
    Node conv = (Node) ops[0];
    float[] shift = (float[]) ops[1];
    float[] ones = new float[shift.length];
    java.util.Arrays.fill(ones, 1f);
    ConvWeights.rewrite(conv, ones, shift, rw);
    rw.replace(add.output(0), conv.output(0));
    rw.erase(add);
  }
}
