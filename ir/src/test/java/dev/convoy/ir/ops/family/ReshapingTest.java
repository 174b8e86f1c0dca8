package dev.convoy.ir.ops.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.eval.ShapeInference;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType.TensorType;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OneNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Shape inference of the shape-computing ops, symbolic dims included, and their kernels. */
class ReshapingTest {
  private static final Dim N = Dim.of("N");

  private static Graph graph() {
    Graph g = new Graph();
    g.opsets().put("", 21L);
    return g;
  }

  private static Value input(Graph g, String name, Dim... dims) {
    return g.addInput(name, new TensorType(DType.FLOAT, Shape.of(dims)));
  }

  private static Value ints(Graph g, String name, long... v) {
    return g.addInitializer(name, Tensor.ofLongs(new long[] {v.length}, v));
  }

  private static Shape inferOne(Graph g, String op, List<Value> ins, Map<String, Attribute> a) {
    Node n = g.addNode("", op, ins, List.of("y"), a);
    ShapeInference.infer(g);
    return n.output(0).tensorType().shape();
  }

  @Test
  void reshapeCopiesSymbolicDimThroughZeroAndSolvesMinusOne() {
    Graph g = graph();
    Value x = input(g, "x", N, Dim.of(3), Dim.of(4));
    assertEquals(Shape.of(N, Dim.of(12)),
        inferOne(g, "Reshape", List.of(x, ints(g, "s", 0, -1)), Map.of()));
  }

  @Test
  void reshapeSolvesMinusOneToTheSymbolWhenStaticSizesCancel() {
    Graph g = graph();
    Value x = input(g, "x", N, Dim.of(12));
    assertEquals(Shape.of(N, Dim.of(3), Dim.of(4)),
        inferOne(g, "Reshape", List.of(x, ints(g, "s", -1, 3, 4)), Map.of()));
  }

  @Test
  void reshapeLeavesMinusOneUnknownWhenSymbolsDoNotCancel() {
    Graph g = graph();
    Value x = input(g, "x", N, Dim.of("S"), Dim.of(4));
    assertEquals(Shape.of(Dim.UNKNOWN, Dim.of(4)),
        inferOne(g, "Reshape", List.of(x, ints(g, "s", -1, 4)), Map.of()));
  }

  @Test
  void reshapeWithAllowZeroMakesAnEmptyDim() {
    NdArray x = NdArray.ofFloats(new long[] {0, 3});
    NdArray y = OneNode.of("Reshape", 14).in(x).in(NdArray.vector(3, 0))
        .attr("allowzero", Attribute.of(1L)).run();
    assertArrayEquals(new long[] {3, 0}, y.dims());
  }

  @Test
  void reshapeToAMismatchedElementCountIsAnErrorNamingTheShapes() {
    var e = assertThrows(ConvoyException.class, () -> OneNode.of("Reshape")
        .in(NdArray.ofFloats(new long[] {2, 3}, 1, 2, 3, 4, 5, 6)).in(NdArray.vector(4, 2)).run());
    assertTrue(e.getMessage().contains("[2,3]") && e.getMessage().contains("Reshape"),
        e.getMessage());
  }

  @Test
  void flattenOverOneSymbolicDimKeepsIt() {
    Graph g = graph();
    Value x = input(g, "x", N, Dim.of(3), Dim.of(4));
    assertEquals(Shape.of(N, Dim.of(12)), inferOne(g, "Flatten", List.of(x), Map.of()));
  }

  @Test
  void shapeOfPartiallySymbolicTensorIsAStaticLengthVector() {
    Graph g = graph();
    Value x = input(g, "x", N, Dim.of(3), Dim.UNKNOWN);
    Node n = g.addNode("", "Shape", List.of(x), List.of("y"),
        Map.of("start", Attribute.of(1L)));
    ShapeInference.infer(g);
    assertEquals(TensorType.of(DType.INT64, 2), n.output(0).type());
  }

  @Test
  void shapeClampsStartAndEnd() {
    NdArray x = NdArray.allocate(DType.FLOAT, new long[] {2, 3, 4});
    NdArray y = OneNode.of("Shape").in(x).attr("start", Attribute.of(-2L))
        .attr("end", Attribute.of(100L)).run();
    assertArrayEquals(new long[] {3, 4}, y.longs());
  }

  @Test
  void squeezeAndUnsqueezeMoveSymbolicDims() {
    Graph g = graph();
    Value x = input(g, "x", N, Dim.of(1), Dim.of(5));
    Node sq = g.addNode("", "Squeeze", List.of(x, ints(g, "a", 1)), List.of("s"), Map.of());
    Node un = g.addNode("", "Unsqueeze", List.of(sq.output(0), ints(g, "b", 0, -1)),
        List.of("u"), Map.of());
    ShapeInference.infer(g);
    assertEquals(Shape.of(N, Dim.of(5)), sq.output(0).tensorType().shape());
    assertEquals(Shape.of(Dim.of(1), N, Dim.of(5), Dim.of(1)),
        un.output(0).tensorType().shape());
  }

  @Test
  void squeezeWithoutAxesOfSymbolicInputHasUnknownRank() {
    Graph g = graph();
    Value x = input(g, "x", N, Dim.of(1));
    assertEquals(Shape.unknownRank(), inferOne(g, "Squeeze", List.of(x), Map.of()));
  }

  @Test
  void shapeComputationFromConstantsFoldsToAStaticReshape() {
    // Concat(Constant [2], Constant [-1]) as a Reshape target: folded during inference.
    Graph g = graph();
    Value x = input(g, "x", Dim.of(4), Dim.of(6));
    Node c1 = g.addNode("", "Constant", List.of(), List.of("c1"),
        Map.of("value_ints", new Attribute.IntsAttr(new long[] {2})));
    Node c2 = g.addNode("", "Constant", List.of(), List.of("c2"),
        Map.of("value", Attribute.of(Tensor.ofLongs(new long[] {1}, -1))));
    Node cat = g.addNode("", "Concat", List.of(c1.output(0), c2.output(0)), List.of("s"),
        Map.of("axis", Attribute.of(0L)));
    assertEquals(Shape.of(2, 12), inferOne(g, "Reshape", List.of(x, cat.output(0)), Map.of()));
  }

  @Test
  void reshapeTargetBuiltFromShapeOfSymbolicInputKeepsTheSymbol() {
    // Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])): the exporters' flatten idiom.
    Graph g = graph();
    Value x = input(g, "x", N, Dim.of(3), Dim.of(4));
    Node shape = g.addNode("", "Shape", List.of(x), List.of("s"), Map.of());
    Value zero = g.addInitializer("zero", Tensor.ofLongs(new long[0], 0));
    Node first = g.addNode("", "Gather", List.of(shape.output(0), zero), List.of("n"), Map.of());
    Node un = g.addNode("", "Unsqueeze", List.of(first.output(0), ints(g, "ax", 0)),
        List.of("n1"), Map.of());
    Node cat = g.addNode("", "Concat", List.of(un.output(0), ints(g, "rest", -1)),
        List.of("t"), Map.of("axis", Attribute.of(0L)));
    assertEquals(Shape.of(N, Dim.of(12)),
        inferOne(g, "Reshape", List.of(x, cat.output(0)), Map.of()));
  }

  @Test
  void shapeOfStaticTensorFoldsIntoDownstreamShapeComputations() {
    Graph g = graph();
    Value x = input(g, "x", Dim.of(2), Dim.of(3), Dim.of(4));
    Node shape = g.addNode("", "Shape", List.of(x), List.of("s"), Map.of());
    Node last = g.addNode("", "Slice", List.of(shape.output(0), ints(g, "b", 2),
        ints(g, "e", 3)), List.of("w"), Map.of());
    Node cat = g.addNode("", "Concat", List.of(ints(g, "m", -1), last.output(0)),
        List.of("t"), Map.of("axis", Attribute.of(0L)));
    assertEquals(Shape.of(6, 4), inferOne(g, "Reshape", List.of(x, cat.output(0)), Map.of()));
  }

  @Test
  void rangeOverASymbolicDimHasThatLength() {
    Graph g = graph();
    Value x = input(g, "x", N, Dim.of("S"));
    Node shape = g.addNode("", "Shape", List.of(x), List.of("s"), Map.of());
    Value one = g.addInitializer("one", Tensor.ofLongs(new long[0], 1));
    Value zero = g.addInitializer("zero", Tensor.ofLongs(new long[0], 0));
    Node len = g.addNode("", "Gather", List.of(shape.output(0), one), List.of("n"), Map.of());
    assertEquals(Shape.of(Dim.of("S")),
        inferOne(g, "Range", List.of(zero, len.output(0), one), Map.of()));
  }

  @Test
  void expandToTheShapeOfASymbolicTensor() {
    Graph g = graph();
    Value x = input(g, "x", Dim.of(1), Dim.of(5));
    Value y = input(g, "y", N, Dim.of(5));
    Node shape = g.addNode("", "Shape", List.of(y), List.of("s"), Map.of());
    assertEquals(Shape.of(N, Dim.of(5)),
        inferOne(g, "Expand", List.of(x, shape.output(0)), Map.of()));
  }

  @Test
  void expandBroadcastsAgainstConstantShape() {
    Graph g = graph();
    Value x = input(g, "x", N, Dim.of(1));
    assertEquals(Shape.of(N, Dim.of(5)),
        inferOne(g, "Expand", List.of(x, ints(g, "s", 1, 5)), Map.of()));
    NdArray y = OneNode.of("Expand").in(NdArray.ofInts(new long[] {2, 1}, 7, 8))
        .in(NdArray.vector(2, 1, 3)).run();
    assertArrayEquals(new long[] {2, 2, 3}, y.dims());
    assertArrayEquals(new int[] {7, 7, 7, 8, 8, 8, 7, 7, 7, 8, 8, 8}, y.ints());
  }

  @Test
  void rangeCountsTowardsLimitAndInfersStaticLengthFromConstants() {
    NdArray y = OneNode.of("Range").in(NdArray.scalarLong(10)).in(NdArray.scalarLong(1))
        .in(NdArray.scalarLong(-3)).run();
    assertArrayEquals(new long[] {10, 7, 4}, y.longs());
    Graph g = graph();
    Value s = g.addInitializer("s", Tensor.ofFloats(new long[0], 0f));
    Value l = g.addInitializer("l", Tensor.ofFloats(new long[0], 1f));
    Value d = g.addInitializer("d", Tensor.ofFloats(new long[0], 0.3f));
    assertEquals(Shape.of(4), inferOne(g, "Range", List.of(s, l, d), Map.of()));
  }

  @Test
  void bitCastKeepsBitsAndRejectsDifferentWidths() {
    NdArray y = OneNode.of("BitCast", 26).in(NdArray.ofFloats(new long[] {1}, 1.0f))
        .attr("to", Attribute.of((long) DType.INT32.onnxCode())).run();
    assertEquals(Float.floatToIntBits(1.0f), y.ints()[0]);
    assertThrows(ConvoyException.class, () -> OneNode.of("BitCast", 26)
        .in(NdArray.ofFloats(new long[] {1}, 1.0f))
        .attr("to", Attribute.of((long) DType.INT64.onnxCode())).run());
  }
}
