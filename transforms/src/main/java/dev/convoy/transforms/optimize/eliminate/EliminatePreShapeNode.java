package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.Set;

/**
 * {@code Shape} or {@code Size} of the output of an op that keeps its input's shape (a Cast, a
 * unary elementwise op, a softmax) reads that input instead, as ONNX Runtime's
 * PreShapeNodeElimination does for Cast: the answer is the same whatever the values, and the op
 * dies when nothing else reads it.
 */
public final class EliminatePreShapeNode implements MatchingRule<Value> {
  public static final String NAME = "eliminate-pre-shape-node";

  /** Ops whose single output always has the shape of their first input. */
  private static final Set<String> SAME_SHAPE = Set.of("Cast", "CastLike", "Relu", "LeakyRelu",
      "Elu", "Selu", "Celu", "Gelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Softplus",
      "Softsign", "Mish", "Neg", "Abs", "Sign", "Exp", "Log", "Sqrt", "Reciprocal", "Erf", "Not",
      "Floor", "Ceil", "Round", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh",
      "Acosh", "Atanh", "IsNaN", "IsInf", "Clip", "Softmax", "LogSoftmax", "Hardmax", "Shrink",
      "ThresholdedRelu");

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Shape", "Size");
  }

  /** The value of the same shape to read instead, or why there is none. */
  @Override
  public Match<Value> match(Node n, Rewriter rw) {
    Node p = n.input(0) == null ? null : n.input(0).producer();
    return p != null && p.domain().isEmpty() && SAME_SHAPE.contains(p.opType())
        && p.outputCount() == 1 && p.input(0) != null ? Match.of(p.input(0))
        : Match.fail("the input is not produced by an op that keeps its input's shape");
  }

  @Override
  public void apply(Node n, Value sameShape, Rewriter rw) {
    rw.setInput(n, 0, sameShape);
  }
}
