package dev.convoy.transforms.testing;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Node;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.List;
import java.util.Map;

/**
 * A deliberately wrong rule, for tests only: the first {@code Relu(x)} it visits in a graph becomes
 * {@code LeakyRelu(x, alpha=0.5)}, so exactly one node computes something else ({@link #MARK}
 * names it). Registered as a service in the test classpath; runs only when enabled by name.
 */
public final class BreakOneRelu extends BrokenReluRule {
  public static final String NAME = "test-break-relu";
  public static final String MARK = "convoy.test.broken-relu";

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
    Node leaky = rw.insertBefore(n, "LeakyRelu", List.of(n.input(0)), 1,
        Map.of("alpha", new Attribute.FloatAttr(0.5f)), n.output(0).name() + "_leaky");
    leaky.output(0).setType(n.output(0).type());
    rw.replaceNode(n, List.of(leaky.output(0)));
  }
}
