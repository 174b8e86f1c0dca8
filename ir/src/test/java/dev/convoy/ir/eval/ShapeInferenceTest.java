package dev.convoy.ir.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType.TensorType;
import dev.convoy.ir.ops.ShapeInferenceException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ShapeInferenceTest {
  private static Graph graph() {
    Graph g = new Graph();
    g.opsets().put("", 17L);
    return g;
  }

  @Test
  void broadcastKeepsSymbolicBatchDim() {
    Graph g = graph();
    Value a = g.addInput("a", new TensorType(DType.FLOAT, Shape.of(Dim.of("N"), Dim.of(3))));
    Value b = g.addInput("b", TensorType.of(DType.FLOAT, 3));
    Node add = g.addNode("", "Add", List.of(a, b), List.of("y"), Map.of());
    Node gt = g.addNode("", "Greater", List.of(add.output(0), b), List.of("z"), Map.of());
    ShapeInference.infer(g);
    assertEquals(new TensorType(DType.FLOAT, Shape.of(Dim.of("N"), Dim.of(3))),
        add.output(0).type());
    assertEquals(new TensorType(DType.BOOL, Shape.of(Dim.of("N"), Dim.of(3))),
        gt.output(0).type());
  }

  @Test
  void staticSizeWinsOverUnknownAndOneBroadcasts() {
    Graph g = graph();
    Value a = g.addInput("a", new TensorType(DType.FLOAT, Shape.of(Dim.UNKNOWN, Dim.of(1))));
    Value b = g.addInput("b", new TensorType(DType.FLOAT, Shape.of(Dim.of(4), Dim.of("S"))));
    Node add = g.addNode("", "Add", List.of(a, b), List.of("y"), Map.of());
    ShapeInference.inferNode(add);
    assertEquals(Shape.of(Dim.of(4), Dim.of("S")), add.output(0).tensorType().shape());
  }

  @Test
  void inferredShapeReplacesADeclaredHint() {
    Graph g = graph();
    Value a = g.addInput("a", TensorType.of(DType.FLOAT, 2, 3));
    Node relu = g.addNode("", "Relu", List.of(a), List.of("y"), Map.of());
    relu.output(0).setType(new TensorType(DType.FLOAT, Shape.of(Dim.of("B"), Dim.UNKNOWN)));
    ShapeInference.infer(g);
    assertEquals(Shape.of(Dim.of(2), Dim.of(3)), relu.output(0).tensorType().shape());
  }

  @Test
  void contradictionWithDeclaredTypeIsAnError() {
    Graph g = graph();
    Value a = g.addInput("a", TensorType.of(DType.FLOAT, 2, 3));
    Node relu = g.addNode("", "Relu", List.of(a), List.of("y"), Map.of());
    relu.output(0).setType(TensorType.of(DType.INT64, 2, 3));
    var e = assertThrows(ShapeInferenceException.class, () -> ShapeInference.infer(g));
    assertTrue(e.getMessage().contains("Relu") && e.getMessage().contains("'y'"), e.getMessage());
  }

  @Test
  void provablyIncompatibleBroadcastIsAnError() {
    Graph g = graph();
    Value a = g.addInput("a", TensorType.of(DType.FLOAT, 2));
    Value b = g.addInput("b", TensorType.of(DType.FLOAT, 3));
    g.addNode("", "Add", List.of(a, b), List.of("y"), Map.of());
    assertThrows(ShapeInferenceException.class, () -> ShapeInference.infer(g));
  }

  @Test
  void unknownOpsLeaveTypesUnknown() {
    Graph g = graph();
    Value a = g.addInput("a", TensorType.of(DType.FLOAT, 2));
    Node n = g.addNode("", "NoSuchOp", List.of(a), List.of("y"), Map.of());
    ShapeInference.infer(g);
    assertEquals(null, n.output(0).type());
  }
}
