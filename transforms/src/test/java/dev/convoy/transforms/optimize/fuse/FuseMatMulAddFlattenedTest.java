package dev.convoy.transforms.optimize.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.ir.graph.Graph;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.RuleCases;
import dev.convoy.transforms.optimize.Target;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code fuse-matmul-add-flattened} through {@link RuleCases}: a rank-3 projection with a bias,
 * reshaped afterwards, becomes a Gemm over its rows whose result the Reshape reads, keeping the
 * outputs at two batch sizes (the batch dim is symbolic: the rule needs no static leading dims
 * when a Reshape reads the sum); it does not fire where the product escapes, with a bias that is
 * not a row vector, next to a Reshape that copies a dim (0) or on the cvy target.
 */
class FuseMatMulAddFlattenedTest {
  private static final String PROJECTION = """
      graph g (%x: float32[N,4,8]) -> (%y: float32[M,12]) {
        opset "" 13
        init %w: float32[8,6] = [0.5, -1, 2, 0.25, 1, -0.5, 3, 1.5, 0.5, -1, 2, 0.25, 1, -0.5, 3, 1.5, 0.5, -1, 2, 0.25, 1, -0.5, 3, 1.5, 0.5, -1, 2, 0.25, 1, -0.5, 3, 1.5, 0.5, -1, 2, 0.25, 1, -0.5, 3, 1.5, 0.5, -1, 2, 0.25, 1, -0.5, 3, 1.5]
        init %b: float32[6] = [0.1, -0.2, 0.3, -0.4, 0.5, -0.6]
        init %shape: int64[2] = [-1, 12]
        %p: float32[N,4,6] = MatMul(%x, %w) @matmul
        %s: float32[N,4,6] = Add(%p, %b) @root
        %y = Reshape(%s, %shape) @reshape
      }
      """;

  private static final RuleCases CASES =
      RuleCases.of(new FuseMatMulAddFlattened(), PROJECTION, "root")
          .atShapes(Map.of("x", new long[] {3, 4, 8}));

  @Test
  void fusesIntoAGemmThatTheReshapeReadsAndKeepsOutputs() {
    Graph g = CASES.firesAndKeepsOutputs();
    assertEquals(1, g.opHistogram().get("Gemm"));
    assertEquals(2, g.opHistogram().get("Reshape"));
    assertEquals(null, g.opHistogram().get("MatMul"));
    CASES.keepsOutputsAtShapes(Map.of("x", new long[] {1, 4, 8}),
        Map.of("x", new long[] {5, 4, 8}));
  }

  @Test
  void notWhereTheProductEscapes() {
    CASES.notWhereGraphOutput("p");
    CASES.notWhereAnotherConsumer("p");
  }

  @Test
  void notWithABiasThatIsNotARowVector() {
    RuleCases.of(new FuseMatMulAddFlattened(), PROJECTION.replace("%b: float32[6]",
        "%b: float32[1,1,6]"), "root")
        .notFiring("b is not a constant float32 [N] or [1, N] with N = 6");
  }

  @Test
  void notNextToAReshapeThatCopiesADim() {
    RuleCases.of(new FuseMatMulAddFlattened(), PROJECTION
            .replace("%shape: int64[2] = [-1, 12]", "%shape: int64[3] = [0, 2, 12]")
            .replace("%y: float32[M,12]", "%y: float32[N,2,12]"), "root")
        .notFiring("x has dynamic leading dims and no Reshape reads the sum");
  }

  @Test
  void notForTheCvyTarget() {
    CASES.with(OptimizeOptions.atLevel(Level.O2).withTarget(Target.CVY))
        .notFiring("the cvy target makes a FusedMatMul of it");
  }
}
