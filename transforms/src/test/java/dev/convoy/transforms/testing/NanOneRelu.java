package dev.convoy.transforms.testing;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Rule;
import java.util.List;
import java.util.Map;

/**
 * A deliberately wrong rule, for tests only: the first {@code Relu(x)} it visits in a graph becomes
 * {@code r * r / r} with {@code r = Relu(x)}, which is {@code x} where {@code x > 0} and NaN
 * ({@code 0 / 0}) elsewhere: the finite values all agree, so a cosine over them sees nothing.
 * Marks the graph's metadata ({@link #MARK}) and never fires again there. Registered as a
 * service in the test classpath; runs only when enabled by name.
 */
public final class NanOneRelu implements Rule {
  public static final String NAME = "test-nan-relu";
  public static final String MARK = "convoy.test.nan-relu";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Relu");
  }

  @Override
  public boolean matches(Node n, Rewriter rw) {
    return n.graph().isTopLevel() && !n.graph().metadata().containsKey(MARK);
  }

  @Override
  public void rewrite(Node n, Rewriter rw) {
    Graph g = n.graph();
    String hint = n.output(0).name();
    Value r = rw.insertBefore(n, "Relu", List.of(n.input(0)), 1, Map.of(), hint + "_r")
        .output(0);
    Value sq = rw.insertBefore(n, "Mul", List.of(r, r), 1, Map.of(), hint + "_sq").output(0);
    Value back = rw.insertBefore(n, "Div", List.of(sq, r), 1, Map.of(), hint + "_nan").output(0);
    for (Value v : List.of(r, sq, back)) {
      v.setType(n.output(0).type());
    }
    g.metadata().put(MARK, hint);
    rw.replaceNode(n, List.of(back));
  }
}
