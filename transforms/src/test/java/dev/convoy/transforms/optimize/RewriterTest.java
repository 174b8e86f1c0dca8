package dev.convoy.transforms.optimize;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.text.GraphParser;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The editor every rule changes the graph through. */
class RewriterTest {
  /** A broken rule: replaces {@code Expand(x, shape)} by {@code Relu(x)}, dropping the broadcast. */
  private static final class DropsTheBroadcast implements Rule {
    @Override
    public String name() {
      return "drops-the-broadcast";
    }

    @Override
    public Pattern pattern() {
      return Pattern.ops("Expand");
    }

    @Override
    public boolean matches(Node root, Rewriter rw) {
      return true;
    }

    @Override
    public void rewrite(Node root, Rewriter rw) {
      Node relu = rw.insertBefore(root, "Relu", List.of(root.input(0)), 1, Map.of(), "r");
      relu.output(0).setType(root.output(0).type());
      rw.replace(root.output(0), relu.output(0));
      rw.erase(root);
    }
  }

  @Test
  void refusesAReplacementThatChangesTheShape() {
    Graph g = GraphParser.parse("""
        graph g (%x: float32[4]) -> (%y: float32[3,4]) {
          opset "" 13
          init %s: int64[2] = [3, 4]
          %e: float32[3,4] = Expand(%x, %s) @expand
          %y = Relu(%e) @relu
        }
        """);
    var ctx = new PassContext(OptimizeOptions.atLevel(Level.O2), null);
    var pass = new RuleSetPass("t", List.of(new DropsTheBroadcast()), 10);
    var e = assertThrows(IllegalStateException.class, () -> pass.run(g, ctx));
    assertTrue(e.getMessage().contains("drops-the-broadcast") && e.getMessage().contains("[3,4]"),
        e.getMessage());
  }
}
