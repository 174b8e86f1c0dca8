package dev.convoy.transforms.optimize.fuse;

import static dev.convoy.transforms.optimize.PatternTree.constant;
import static dev.convoy.transforms.optimize.PatternTree.op;
import static dev.convoy.transforms.optimize.PatternTree.scalar;
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
import dev.convoy.transforms.optimize.TreeRule;

/**
 * {@code MatMul(x * s, W)} with a float32 scalar {@code s} and constant float32 weights is
 * {@code MatMul(x, W * s)}: each product {@code (x_k s) w_k} becomes {@code x_k (s w_k)}, the same
 * real number (ONNX Runtime's MatMulScaleFusion, onnxslim's FusionGemmMul, exact but for rounding
 * of the scaled weights). The Mul feeds only the MatMul, and the scaled weights must stay finite.
 * O2 runs it after the fusions, so that a scale a GELU or attention pattern owns is theirs first.
 */
public final class FuseScaleIntoMatMul implements TreeRule<FuseScaleIntoMatMul.Scaled> {
  public static final String NAME = "fuse-scale-into-matmul";

  /** The unscaled operand, the Mul and the scaled weights. */
  public record Scaled(Value x, Node mul, Tensor weights) {}

  private static final PatternTree TREE =
      op("MatMul", op("Mul", var("x"), scalar("s")).named("mul"), constant("w"));

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public PatternTree tree() {
    return TREE;
  }

  @Override
  public Match<Scaled> check(Binding m, Rewriter rw) {
    Value x = m.value("x");
    Value s = m.value("s");
    Tensor w = m.value("w").constant();
    if (w.dtype() != DType.FLOAT || s.constant().dtype() != DType.FLOAT || w.rank() < 2) {
      return Match.fail("the scale or the weights are not float32, or the weights not a matrix");
    }
    if (!Facts.broadcastKeeps(x, s)) {
      return Match.fail(s.name() + " broadcasts " + x.name() + " to another shape");
    }
    float scale = (float) m.scalar("s");
    float[] values = w.toFloatArray();
    for (int i = 0; i < values.length; i++) {
      values[i] *= scale;
      if (!Float.isFinite(values[i])) {
        return Match.fail(m.value("w").name() + " times " + scale + " is not finite");
      }
    }
    return Match.of(new Scaled(x, m.node("mul"), Tensor.ofFloats(w.dims(), values)));
  }

  @Override
  public void apply(Node matmul, Scaled m, Rewriter rw) {
    rw.setInput(matmul, 1,
        rw.constant(matmul.graph(), m.weights(), matmul.input(1).name() + "_scaled"));
    rw.setInput(matmul, 0, m.x());
    rw.erase(m.mul());
  }
}
