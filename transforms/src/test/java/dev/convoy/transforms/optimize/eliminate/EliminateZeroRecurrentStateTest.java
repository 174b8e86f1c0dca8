package dev.convoy.transforms.optimize.eliminate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.transforms.optimize.RuleCases;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link EliminateZeroRecurrentState}: zeros proven through the exporter's shape chain are
 * dropped, at any batch and sequence length; anything but {@code +0.0} stays.
 */
class EliminateZeroRecurrentStateTest {
  private static final String WEIGHTS = """
        init %W: float32[1,8,3] = [-0.076, 0.096, 0.679, -0.055, 0.013, 0.140, -0.505, 0.019, 0.208, 0.469, -0.649, -0.315, -0.655, 0.495, 0.310, -0.733, 0.772, 0.744, 0.246, 0.185, -0.548, -0.776, 0.045, -0.705]
        init %R: float32[1,8,2] = [-0.496, -0.413, -0.752, -0.058, -0.095, 0.548, 0.031, 0.224, -0.000, 0.260, -0.068, -0.355, 0.796, 0.793, 0.544, 0.332]
        init %B: float32[1,16] = [-0.296, -0.433, -0.338, -0.688, 0.426, -0.159, 0.555, -0.182, 0.733, 0.556, -0.799, -0.464, 0.656, -0.048, 0.769, -0.164]
      """;

  private static final RuleCases DYNAMIC = RuleCases.of(new EliminateZeroRecurrentState(), """
      graph g (%x: float32[seq,batch,3]) -> (%y: float32[seq,1,batch,2], %yc: float32[1,batch,2]) {
        opset "" 14
      """ + WEIGHTS + """
        init %idx1: int64[] = [1]
        init %axes0: int64[1] = [0]
        init %two: int64[1] = [2]
        init %halves: int64[2] = [1, 1]
        %s: int64[3] = Shape(%x) @shape
        %b: int64[] = Gather(%s, %idx1) {axis=0} @gather
        %bu: int64[1] = Unsqueeze(%b, %axes0) @unsqueeze
        %dims: int64[3] = Concat(%two, %bu, %two) {axis=0} @concat
        %zeros: float32[2,batch,2] = ConstantOfShape(%dims) {value=float32[1] [0.0]} @zeros
        %h0: float32[1,batch,2], %c0: float32[1,batch,2] = Split(%zeros, %halves) {axis=0} @split
        %y: float32[seq,1,batch,2], %yh: float32[1,batch,2], %yc: float32[1,batch,2] = LSTM(%x, %W, %R, %B, _, %h0, %c0) {hidden_size=2} @root
      }
      """, "root");

  private static final RuleCases STATIC = RuleCases.of(new EliminateZeroRecurrentState(), """
      graph g (%x: float32[4,2,3]) -> (%y: float32[4,1,2,2]) {
        opset "" 14
      """ + WEIGHTS + """
        init %h0: float32[1,2,2] = [0.0, 0.0, 0.0, 0.0]
        %y: float32[4,1,2,2], %yh: float32[1,2,2] = LSTM(%x, %W, %R, %B, _, %h0) {hidden_size=2} @root
      }
      """, "root");

  @Test
  void dropsSplitConstantOfShapeZerosAtEveryBatchAndLength() {
    Graph g = DYNAMIC.atShapes(Map.of("x", new long[] {5, 3, 3})).firesAndKeepsOutputs();
    Node lstm = only(g, "LSTM");
    assertNull(lstm.input(5));
    assertNull(lstm.input(6));
    DYNAMIC.keepsOutputsAtShapes(
        Map.of("x", new long[] {5, 3, 3}), Map.of("x", new long[] {2, 7, 3}));
  }

  @Test
  void dropsAZeroConstantState() {
    assertNull(only(STATIC.firesAndKeepsOutputs(), "LSTM").input(5));
  }

  private static Node only(Graph g, String op) {
    List<Node> found = g.nodes().stream().filter(n -> n.is(op)).toList();
    assertEquals(1, found.size());
    return found.get(0);
  }

  @Test
  void keepsNegativeZeroAndNonZeroStates() {
    STATIC.notWithConstant("h0", -0.0f, "no initial state of root is provably all +0.0");
    STATIC.notWithConstant("h0", 0.5f, "no initial state of root is provably all +0.0");
  }
}
