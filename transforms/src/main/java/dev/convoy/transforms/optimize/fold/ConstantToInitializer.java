package dev.convoy.transforms.optimize.fold;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.ops.ConstantValue;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Rule;
import java.util.List;

/**
 * A {@code Constant} node becomes an initializer of its graph under the same name, so folding,
 * deduplication and the algebraic rules see its value (a graph output may be an initializer).
 * The value is read by {@link ConstantValue}, as the catalog's Constant kernel reads it, so a node
 * setting several value attributes is the same invalid-model error here as in the evaluator.
 * Sparse constants stay nodes.
 */
public final class ConstantToInitializer implements Rule {
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
  public boolean matches(Node n, Rewriter rw) {
    return n.output(0) != null && ConstantValue.dense(n) != null;
  }

  @Override
  public void rewrite(Node n, Rewriter rw) {
    rw.foldToConstants(n, List.of(ConstantValue.dense(n)));
  }
}
