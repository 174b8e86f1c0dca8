package dev.convoy.transforms.optimize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import java.util.ArrayList;
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
      rw.replaceWithNew(root, root.output(0), "Relu", List.of(root.input(0)), Map.of(), "r");
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

  /** Writes down what the editor reports. */
  private static final class Recorder implements Rewriter.Listener {
    final List<String> events = new ArrayList<>();

    @Override
    public void nodeInserted(Node node) {
      events.add("inserted " + node.opType());
    }

    @Override
    public void nodeErased(Node node) {
      events.add("erased " + node.name());
    }

    @Override
    public void nodeModified(Node node) {
      events.add("modified " + node.name());
    }

    @Override
    public void valueReplaced(Value old, Value replacement) {
      events.add("replaced " + old.name() + " (read by " + old.uses().size() + ") by "
          + replacement.producer().opType());
    }

    @Override
    public void inputDropped(Value value) {
      events.add("dropped " + value.name());
    }
  }

  @Test
  void tellsItsListenerEveryStructuralChangeBeforeReadersMove() {
    Graph g = GraphParser.parse("""
        graph g (%x: float32[4]) -> (%y: float32[4]) {
          opset "" 13
          init %one: float32[] = [1.0]
          %n: float32[4] = Neg(%x) @neg
          %m: float32[4] = Neg(%n) @neg2
          %y = Add(%m, %one) @add
        }
        """);
    Recorder heard = new Recorder();
    Rewriter rw = new Rewriter(new PassContext(OptimizeOptions.atLevel(Level.O1), null), heard);
    Node neg2 = g.nodes().get(1);
    Node add = g.nodes().get(2);
    Node id = rw.replaceWithNew(neg2, neg2.output(0), "Identity", List.of(neg2.input(0).producer()
        .input(0)), Map.of(), "neg2");
    rw.erase(neg2);
    rw.setAttribute(add, "note", new dev.convoy.ir.graph.Attribute.IntAttr(1));
    rw.setName(id, "renamed");
    assertEquals(List.of("inserted Identity", "replaced m (read by 1) by Identity", "erased neg2",
        "dropped n", "modified add"), heard.events);
    assertEquals(id.output(0), add.input(0));
  }
}
