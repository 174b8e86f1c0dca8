package dev.convoy.pipeline.stage;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.ops.ShapeInferenceException;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.pipeline.zoo.ModelRef;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The O3 memory plan at a model's concrete input shapes ({@link PlanMemory#plan}). */
class PlanMemoryTest {
  /** x is [1, n]; the else branch squeezes axis 1, which only runs when n is 1. */
  private static final String IF_WITH_BRANCH_FOR_OTHER_SHAPES = """
      graph g (%x: float32[1,n], %c: bool[]) -> (%y: float32[1,n]) {
        opset "" 13
        init %ax: int64[1] = [1]
        %h = Neg(%x) @neg
        %y = If(%c) {
          else_branch=graph e () -> (%e1: float32[1,n]) {
            %s = Squeeze(%h, %ax) @squeeze
            %e1 = Unsqueeze(%s, %ax) @unsqueeze
          },
          then_branch=graph t () -> (%t1: float32[1,n]) {
            %t1 = Abs(%h) @abs
          }
        } @if
      }
      """;

  private static ModelRef withShape(long... x) {
    return new ModelRef("g", "g.onnx", "onnx", List.of(),
        Map.of("x", java.util.Arrays.stream(x).boxed().toList()), 0);
  }

  @Test
  void plansAroundABranchThatCannotRunAtTheGivenShapes() {
    Graph g = GraphParser.parse(IF_WITH_BRANCH_FOR_OTHER_SHAPES);
    var plan = PlanMemory.plan(g, withShape(1, 512));
    assertTrue(plan.arenaBytes() >= 512 * 4, "the [1,512] intermediate h is planned");
  }

  @Test
  void stillFailsWhenTheGraphItselfCannotRunAtTheGivenShapes() {
    Graph g = GraphParser.parse("""
        graph g (%x: float32[1,n]) -> (%y: float32[1]) {
          opset "" 13
          init %ax: int64[1] = [1]
          %y = Squeeze(%x, %ax) @squeeze
        }
        """);
    assertThrows(ShapeInferenceException.class, () -> PlanMemory.plan(g, withShape(1, 512)));
  }
}
