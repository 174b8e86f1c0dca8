package dev.convoy.transforms.optimize.fold;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.ops.ConstantValue;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.List;

/**
 * A {@code Constant} node becomes an initializer of its graph under the same name, so folding,
 * deduplication and the algebraic rules see its value (a graph output may be an initializer).
 * The value is read by {@link ConstantValue}, as the catalog's Constant kernel reads it, so a node
 * setting several value attributes is the same invalid-model error here as in the evaluator.
 * Sparse constants stay nodes.
 */
public final class ConstantToInitializer implements MatchingRule<Tensor> {
  public static final String NAME = "constant-to-initializer";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Constant");
  }

  @Override
  public Match<Tensor> match(Node n, Rewriter rw) {
    if (n.output(0) == null) {
      return Match.fail("the Constant's output is unused");
    }
    Tensor t = ConstantValue.dense(n);
    return t != null ? Match.of(t) : Match.fail("the Constant holds no dense tensor");
  }

  @Override
  public void apply(Node n, Tensor value, Rewriter rw) {
    rw.foldToConstants(n, List.of(value));
  }
}
