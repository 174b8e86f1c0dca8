package dev.convoy.transforms.testing;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.text.GraphParser;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

class OracleSkipsTest {
  private static final Evaluator EVALUATOR = Evaluator.standard();

  private static final Graph UNKNOWN_OP = GraphParser.parse("""
      graph g (%x: float32[2]) -> (%y: float32[2]) {
        opset "" 13
        %y = NoSuchOp(%x) @n
      }
      """);

  private static final Graph RELU = GraphParser.parse("""
      graph g (%x: float32[2]) -> (%y: float32[2]) {
        opset "" 13
        %y = Relu(%x) @n
      }
      """);

  @Test
  void failsOnAMissingOpThatIsNotAnExpectedSkip() {
    assertThrows(AssertionFailedError.class,
        () -> OracleSkips.requireSupported(EVALUATOR, UNKNOWN_OP, "m.onnx", Map.of()));
  }

  @Test
  void skipsAListedModelThatLacksItsOp() {
    assertThrows(TestAbortedException.class, () -> OracleSkips.requireSupported(
        EVALUATOR, UNKNOWN_OP, "m.onnx", Map.of("m.onnx", "NoSuchOp")));
  }

  @Test
  void failsOnAListedModelThatNowRuns() {
    assertThrows(AssertionFailedError.class, () -> OracleSkips.requireSupported(
        EVALUATOR, RELU, "m.onnx", Map.of("m.onnx", "Relu")));
  }

  @Test
  void passesASupportedUnlistedModel() {
    OracleSkips.requireSupported(EVALUATOR, RELU, "m.onnx", Map.of());
  }
}
