package dev.convoy.transforms.testing;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Rule;

/**
 * A deliberately wrong rule, for tests only: the first {@code Add}, {@code Mul}, {@code Conv} or
 * {@code MatMul} it visits in a graph with a float32 weight (an initializer of more than one
 * element: a scalar may be a mask constant whose change nothing sees) among its inputs reads a
 * copy of that constant with {@link #NUDGE} added to every element instead (the original
 * constant is left to its other readers). A small error of the kind a wrong fold makes, which verification must
 * catch even where the runtimes already drift apart. {@link #MARK} records the nudged node's
 * output. Registered as a service in the test classpath; runs only when enabled by name.
 */
public final class NudgeOneConstant implements Rule {
  public static final String NAME = "test-nudge-constant";
  public static final String MARK = "convoy.test.nudged-constant";
  public static final float NUDGE = 1e-2f;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Add", "Mul", "Conv", "MatMul");
  }

  @Override
  public boolean matches(Node n, Rewriter rw) {
    return n.graph().isTopLevel() && !n.graph().metadata().containsKey(MARK)
        && floatConstant(n) >= 0;
  }

  @Override
  public void rewrite(Node n, Rewriter rw) {
    int k = floatConstant(n);
    float[] w = n.input(k).constant().toFloatArray();
    for (int i = 0; i < w.length; i++) {
      w[i] += NUDGE;
    }
    Value nudged = rw.constant(n.graph(), Tensor.ofFloats(n.input(k).constant().dims(), w),
        n.input(k).name() + "_nudged");
    rw.setMetadata(n.graph(), MARK, n.output(0).name());
    rw.setInput(n, k, nudged);
  }

  private static int floatConstant(Node n) {
    for (int k = 0; k < n.inputs().size(); k++) {
      Value v = n.input(k);
      if (v != null && v.isInitializer() && v.constant().dtype() == DType.FLOAT
          && v.constant().numElements() > 1) {
        return k;
      }
    }
    return -1;
  }
}
