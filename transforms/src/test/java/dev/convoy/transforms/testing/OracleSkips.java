package dev.convoy.transforms.testing;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import java.util.Map;

/**
 * The dev models the ONNX Runtime oracle tests ({@code EvaluatorNodeByNodeTest}, {@code
 * EvaluatorVsOrtTest}, {@code DevModelReferenceTest}) may skip because the evaluator lacks an op,
 * each with the op it lacks. Empty today: every dev model runs. A model that needs a missing op
 * and is not listed fails instead of being skipped, so a catalog regression cannot hide as a skip;
 * a listed model that the evaluator now runs fails too, so the list cannot rot.
 */
public final class OracleSkips {
  /** Model file name to the op it needs that the evaluator lacks. */
  static final Map<String, String> EXPECTED = Map.of();

  private OracleSkips() {}

  /**
   * Returns when {@code model} runs on {@code evaluator}; skips the calling test when it needs a
   * missing op and is listed; fails otherwise.
   */
  public static void requireSupported(Evaluator evaluator, Graph g, String model) {
    requireSupported(evaluator, g, model, EXPECTED);
  }

  static void requireSupported(Evaluator evaluator, Graph g, String model,
      Map<String, String> expected) {
    String lacking = expected.get(model);
    try {
      evaluator.requireSupported(g);
    } catch (UnsupportedOpException e) {
      assertNotNull(lacking, model + " needs an op the evaluator lacks and is not an expected skip: "
          + e.getMessage());
      assumeTrue(false, model + ": expected skip, the evaluator lacks " + lacking + " ("
          + e.getMessage() + ")");
    }
    assertNull(lacking, model + " is an expected skip for lacking " + lacking
        + ", but the evaluator runs it now: remove it from OracleSkips.EXPECTED");
  }
}
