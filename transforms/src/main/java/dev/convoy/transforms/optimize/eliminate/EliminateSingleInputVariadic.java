package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Node;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Rule;
import java.util.List;

/** {@code Concat}, {@code Sum}, {@code Max}, {@code Min} or {@code Mean} of one input is it. */
public final class EliminateSingleInputVariadic implements Rule {
  public static final String NAME = "eliminate-single-input-variadic";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Concat", "Sum", "Max", "Min", "Mean");
  }

  @Override
  public boolean matches(Node n, Rewriter rw) {
    return n.inputCount() == 1
        && n.input(0) != null
        && rw.canReplace(n.output(0), n.input(0));
  }

  @Override
  public void rewrite(Node n, Rewriter rw) {
    rw.replaceNode(n, List.of(n.input(0)));
  }
}
