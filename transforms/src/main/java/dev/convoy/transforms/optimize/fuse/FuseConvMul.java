package dev.convoy.transforms.optimize.fuse;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
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
    Object[] ops = operands(mul);
    return ops != null && rw.canReplace(mul.output(0), ((Node) ops[0]).output(0));
  }

  /** [conv node, per-channel values] or null. */
  private static Object[] operands(Node mul) {
    for (int side = 0; side < 2; side++) {
      Value convOut = mul.input(side);
      Value other = mul.input(1 - side);
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
  public void rewrite(Node mul, Rewriter rw) {
    Object[] ops = operands(mul);
    Node conv = (Node) ops[0];
    float[] scale = (float[]) ops[1];
    ConvWeights.rewrite(conv, scale, new float[scale.length], rw);
    rw.replace(mul.output(0), conv.output(0));
    rw.erase(mul);
  }
}
