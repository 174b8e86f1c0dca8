package dev.convoy.transforms.testing;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.List;
import java.util.Map;

/**
 * A deliberately wrong rule, for tests only: the first {@code Relu(x)} it visits in a graph becomes
 * {@code r * r / r} with {@code r = Relu(x)}, which is {@code x} where {@code x > 0} and NaN
 * ({@code 0 / 0}) elsewhere: the finite values all agree, so a cosine over them sees nothing.
 * Registered as a service in the test classpath; runs only when enabled by name.
 */
public final class NanOneRelu extends BrokenReluRule {
  public static final String NAME = "test-nan-relu";
  public static final String MARK = "convoy.test.nan-relu";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  String mark() {
    return MARK;
  }

  @Override
  void breakRelu(Node n, Rewriter rw) {
    String hint = n.output(0).name();
    Value r = rw.insertBefore(n, "Relu", List.of(n.input(0)), 1, Map.of(), hint + "_r")
        .output(0);
    Value sq = rw.insertBefore(n, "Mul", List.of(r, r), 1, Map.of(), hint + "_sq").output(0);
    Value back = rw.insertBefore(n, "Div", List.of(sq, r), 1, Map.of(), hint + "_nan").output(0);
    for (Value v : List.of(r, sq, back)) {
      v.setType(n.output(0).type());
    }
    rw.replaceNode(n, List.of(back));
  }
}
