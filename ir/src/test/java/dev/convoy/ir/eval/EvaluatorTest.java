package dev.convoy.ir.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType.TensorType;
import dev.convoy.ir.ops.NdArray;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EvaluatorTest {
  /** y = relu(x + w) * x with w an initializer, over a symbolic batch dim. */
  private static Graph chain() {
    Graph g = new Graph();
    g.opsets().put("", 17L);
    Value x = g.addInput("x", new TensorType(DType.FLOAT, Shape.of(Dim.of("N"), Dim.of(2))));
    Value w = g.addInitializer("w", Tensor.ofFloats(new long[] {2}, -1, 1));
    Node add = g.addNode("", "Add", List.of(x, w), List.of("s"), Map.of());
    Node relu = g.addNode("", "Relu", List.of(add.output(0)), List.of("r"), Map.of());
    Node mul = g.addNode("", "Mul", List.of(relu.output(0), x), List.of("y"), Map.of());
    g.addOutput(mul.output(0));
    return g;
  }

  @Test
  void runsAChainWithInitializers() {
    Map<String, Tensor> out = Evaluator.standard().runTensors(chain(),
        Map.of("x", Tensor.ofFloats(new long[] {2, 2}, 0.5f, 2, 3, -4)));
    assertArrayEquals(new float[] {0, 6, 6, -0f}, out.get("y").toFloatArray());
  }

  @Test
  void rejectsWrongElementType() {
    var e = assertThrows(InvalidModelException.class, () -> Evaluator.standard().runTensors(
        chain(), Map.of("x", Tensor.ofDoubles(new long[] {1, 2}, 1, 2))));
    assertTrue(e.getMessage().contains("'x'") && e.getMessage().contains("float32"),
        e.getMessage());
  }

  @Test
  void rejectsWrongRankAndStaticDim() {
    var e = assertThrows(InvalidModelException.class, () -> Evaluator.standard().runTensors(
        chain(), Map.of("x", Tensor.ofFloats(new long[] {4}, 1, 2, 3, 4))));
    assertTrue(e.getMessage().contains("rank 2"), e.getMessage());
    assertThrows(InvalidModelException.class, () -> Evaluator.standard().runTensors(
        chain(), Map.of("x", Tensor.ofFloats(new long[] {1, 3}, 1, 2, 3))));
  }

  @Test
  void rejectsMissingAndUnknownInputs() {
    assertThrows(InvalidModelException.class,
        () -> Evaluator.standard().runTensors(chain(), Map.of()));
    assertThrows(InvalidModelException.class, () -> Evaluator.standard().runTensors(chain(),
        Map.of("x", Tensor.ofFloats(new long[] {1, 2}, 1, 2),
            "bogus", Tensor.ofFloats(new long[] {1}, 1))));
  }

  @Test
  void dataLengthDisagreeingWithShapeIsAClearError() {
    var e = assertThrows(ConvoyException.class, () -> Tensor.of(DType.FLOAT, new long[] {2, 2},
        ByteBuffer.allocate(12)));
    assertTrue(e.getMessage().contains("needs 16 bytes"), e.getMessage());
    assertThrows(ConvoyException.class, () -> NdArray.wrap(DType.FLOAT, new long[] {3},
        new float[2]));
  }

  @Test
  void shapeOverflowingLongIsAClearError() {
    var e = assertThrows(ConvoyException.class,
        () -> NdArray.allocate(DType.FLOAT, new long[] {1L << 40, 1L << 40}));
    assertTrue(e.getMessage().contains("overflows"), e.getMessage());
  }

  @Test
  void isDeterministicAcrossRuns() {
    Graph g = chain();
    var in = Map.of("x", Tensor.ofFloats(new long[] {3, 2}, 1, 2, 3, 4, 5, 6));
    assertEquals(Evaluator.standard().runTensors(g, in), Evaluator.standard().runTensors(g, in));
  }
}
