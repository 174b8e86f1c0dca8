package dev.convoy.transforms.optimize.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.PassContext;
import dev.convoy.transforms.optimize.RuleSetPass;
import dev.convoy.transforms.optimize.Target;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Where {@code fuse-gelu-erf} may fire: the target must have a Gelu, the shape must stay. */
class FuseGeluErfTest {
  private static final String CHAIN = """
      graph g (%%x: float32[4]) -> (%%y: float32[%s]) {
        opset "" %d
        init %%sqrt2: float32[] = [1.4142135]
        init %%one: float32[] = [1.0]
        init %%half: float32%s = [0.5]
        %%d: float32[4] = Div(%%x, %%sqrt2) @div
        %%e: float32[4] = Erf(%%d) @erf
        %%p: float32[4] = Add(%%one, %%e) @add
        %%m: float32[4] = Mul(%%x, %%p) @mul
        %%y = Mul(%%half, %%m) @gelu_end
      }
      """;

  private static int fire(Graph g, Target target) {
    var ctx = new PassContext(OptimizeOptions.atLevel(Level.O2).withTarget(target), null);
    return new RuleSetPass("t", List.of(new FuseGeluErf()), 100).run(g, ctx);
  }

  @Test
  void keepsTheShapeWhenAConstantBroadcastsToAHigherRank() {
    Graph g = GraphParser.parse(String.format(CHAIN, "1,1,4", 20, "[1,1,1]"));
    assertEquals(0, fire(g, Target.STANDARD));
    assertEquals("float32[1,1,4]", g.outputs().get(0).type().toString());
    assertEquals(null, g.opHistogram().get("Gelu"));
  }

  @Test
  void fusesAtOpset20IntoOnnxGelu() {
    Graph g = GraphParser.parse(String.format(CHAIN, "4", 20, "[1]"));
    assertEquals(1, fire(g, Target.STANDARD));
    assertEquals(Integer.valueOf(1), g.opHistogram().get("Gelu"));
  }

  @Test
  void leavesTheChainBelowOpset20OnTheStandardTarget() {
    Graph g = GraphParser.parse(String.format(CHAIN, "4", 13, "[]"));
    assertEquals(0, fire(g, Target.STANDARD));
    assertEquals(null, g.opsets().get(Target.MICROSOFT));
  }

  @Test
  void usesOnnxRuntimesGeluBelowOpset20WhenAsked() {
    Graph g = GraphParser.parse(String.format(CHAIN, "4", 13, "[]"));
    assertEquals(1, fire(g, Target.STANDARD.withOrtOps(true)));
    assertEquals(Integer.valueOf(1), g.opHistogram().get("com.microsoft::Gelu"));
  }
}
