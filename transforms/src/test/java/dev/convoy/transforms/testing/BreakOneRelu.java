package dev.convoy.transforms.testing;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Rule;
import java.util.List;
import java.util.Map;

/**
 * A deliberately wrong rule, for tests only: the first {@code Relu(x)} it visits in a graph becomes
 * {@code LeakyRelu(x, alpha=0.5)}, so exactly one node computes something else. It marks the
 * graph's metadata ({@link #MARK}, holding the broken output's name) and never fires again there.
 * Registered as a service in the test classpath; runs only when enabled by name.
 */
public final class BreakOneRelu implements Rule {
  public static final String NAME = "test-break-relu";
  public static final String MARK = "convoy.test.broken-relu";

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
    Node leaky = rw.insertBefore(n, "LeakyRelu", List.of(n.input(0)), 1,
        Map.of("alpha", new Attribute.FloatAttr(0.5f)), n.output(0).name() + "_leaky");
    leaky.output(0).setType(n.output(0).type());
    g.metadata().put(MARK, n.output(0).name());
    rw.replaceNode(n, List.of(leaky.output(0)));
  }
}
