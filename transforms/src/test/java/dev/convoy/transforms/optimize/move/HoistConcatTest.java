package dev.convoy.transforms.optimize.move;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.convoy.ir.graph.Graph;
import dev.convoy.transforms.optimize.RuleCases;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link HoistConcat}: the same elementwise op on every part of a Concat runs once after it, at
 * any size of the symbolic dims; a part read elsewhere or ops with different scalars stay.
 */
class HoistConcatTest {
  private static final String GRAPH = """
      graph g (%a: float32[batch,2], %b: float32[batch,3], %s: float32[]) -> (%y: float32[batch,5]) {
        opset "" 13
        %ra: float32[batch,2] = Mul(%a, %s) @mul_a
        %rb: float32[batch,3] = Mul(%b, %s) @mul_b
        %y = Concat(%ra, %rb) {axis=1} @root
      }
      """;

  private static final RuleCases CASES = RuleCases.of(new HoistConcat(), GRAPH, "root");

  @Test
  void oneMulAfterTheConcatAtEveryShape() {
    Graph g = CASES.atShapes(Map.of("a", new long[] {2, 2}, "b", new long[] {2, 3}))
        .firesAndKeepsOutputs();
    assertEquals(1, g.opHistogram().get("Mul"));
    CASES.keepsOutputsAtShapes(Map.of("a", new long[] {1, 2}, "b", new long[] {1, 3}),
        Map.of("a", new long[] {6, 2}, "b", new long[] {6, 3}));
  }

  @Test
  void notWhereAPartEscapesOrTheScalarsDiffer() {
    CASES.notWhereGraphOutput("ra");
    CASES.notWhereAnotherConsumer("rb");
    RuleCases.of(new HoistConcat(), GRAPH.replace("%s: float32[])", "%s: float32[], %t: float32[])")
            .replace("Mul(%b, %s)", "Mul(%b, %t)"), "root")
        .notFiring("mul_b reads another operand 1 than mul_a");
  }
}
