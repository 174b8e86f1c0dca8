package dev.convoy.ir.ops.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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

/** Transpose, Concat, Split, Slice, Tile and Pad kernels and their symbolic shapes. */
class LayoutTest {
  private static final Dim N = Dim.of("N");

  private static NdArray iota(long... dims) {
    int n = NdArray.checkedSize(dims);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = i;
    }
    return NdArray.ofFloats(dims, v);
  }

  private static Graph graph() {
    Graph g = new Graph();
    g.opsets().put("", 21L);
    return g;
  }

  @Test
  void transposePermutesSymbolicDims() {
    Graph g = graph();
    Value x = g.addInput("x", new TensorType(DType.FLOAT,
        Shape.of(N, Dim.of(3), Dim.of("H"), Dim.of(5))));
    Node t = g.addNode("", "Transpose", List.of(x), List.of("y"),
        Map.of("perm", Attribute.of(0L, 2L, 3L, 1L)));
    ShapeInference.infer(g);
    assertEquals(Shape.of(N, Dim.of("H"), Dim.of(5), Dim.of(3)),
        t.output(0).tensorType().shape());
  }

  @Test
  void transposeMovesChannelsLast() {
    NdArray y = OneNode.of("Transpose").in(iota(1, 2, 2, 3))
        .attr("perm", Attribute.of(0L, 2L, 3L, 1L)).run();
    assertArrayEquals(new long[] {1, 2, 3, 2}, y.dims());
    assertArrayEquals(new float[] {0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11}, y.floats());
  }

  @Test
  void concatAddsStaticAxisAndKeepsSymbolicOthers() {
    Graph g = graph();
    Value a = g.addInput("a", new TensorType(DType.FLOAT, Shape.of(N, Dim.of(3))));
    Value b = g.addInput("b", new TensorType(DType.FLOAT, Shape.of(Dim.UNKNOWN, Dim.of(5))));
    Node c = g.addNode("", "Concat", List.of(a, b), List.of("y"),
        Map.of("axis", Attribute.of(-1L)));
    Node d = g.addNode("", "Concat", List.of(a, a), List.of("z"),
        Map.of("axis", Attribute.of(0L)));
    ShapeInference.infer(g);
    assertEquals(Shape.of(N, Dim.of(8)), c.output(0).tensorType().shape());
    assertEquals(Shape.of(Dim.UNKNOWN, Dim.of(3)), d.output(0).tensorType().shape());
  }

  @Test
  void concatInterleavesRowsAlongInnerAxis() {
    NdArray y = OneNode.of("Concat").in(iota(2, 1)).in(NdArray.ofFloats(new long[] {2, 2},
        10, 11, 12, 13)).attr("axis", Attribute.of(1L)).run();
    assertArrayEquals(new float[] {0, 10, 11, 1, 12, 13}, y.floats());
  }

  @Test
  void splitWithNumOutputsMakesTheLastChunkSmaller() {
    List<NdArray> parts = OneNode.of("Split", 18).in(iota(7))
        .attr("num_outputs", Attribute.of(3L)).outputs(3).runAll();
    assertArrayEquals(new float[] {0, 1, 2}, parts.get(0).floats());
    assertArrayEquals(new float[] {3, 4, 5}, parts.get(1).floats());
    assertArrayEquals(new float[] {6}, parts.get(2).floats());
  }

  @Test
  void sliceWithNegativeStepClampsAndReverses() {
    NdArray y = OneNode.of("Slice").in(iota(2, 5)).in(NdArray.vector(Long.MAX_VALUE))
        .in(NdArray.vector(Long.MIN_VALUE)).in(NdArray.vector(1)).in(NdArray.vector(-2)).run();
    assertArrayEquals(new long[] {2, 3}, y.dims());
    assertArrayEquals(new float[] {4, 2, 0, 9, 7, 5}, y.floats());
  }

  @Test
  void sliceKeepsSymbolicDimSlicedWhole() {
    Graph g = graph();
    Value x = g.addInput("x", new TensorType(DType.FLOAT, Shape.of(N, Dim.of(10))));
    Value st = g.addInitializer("st", Tensor.ofLongs(new long[] {2}, 0, 2));
    Value en = g.addInitializer("en", Tensor.ofLongs(new long[] {2}, Long.MAX_VALUE, -3));
    Node s = g.addNode("", "Slice", List.of(x, st, en), List.of("y"), Map.of());
    ShapeInference.infer(g);
    assertEquals(Shape.of(N, Dim.of(5)), s.output(0).tensorType().shape());
  }

  @Test
  void tileRepeatsWholeTensor() {
    NdArray y = OneNode.of("Tile").in(iota(2, 2)).in(NdArray.vector(2, 1)).run();
    assertArrayEquals(new float[] {0, 1, 2, 3, 0, 1, 2, 3}, y.floats());
  }

  @Test
  void padModesMatchNumpy() {
    NdArray x = iota(3);
    NdArray pads = NdArray.vector(2, 2);
    assertArrayEquals(new float[] {2, 1, 0, 1, 2, 1, 0}, OneNode.of("Pad").in(x).in(pads)
        .attr("mode", Attribute.of("reflect")).run().floats());
    assertArrayEquals(new float[] {0, 0, 0, 1, 2, 2, 2}, OneNode.of("Pad").in(x).in(pads)
        .attr("mode", Attribute.of("edge")).run().floats());
    assertArrayEquals(new float[] {1, 2, 0, 1, 2, 0, 1}, OneNode.of("Pad").in(x).in(pads)
        .attr("mode", Attribute.of("wrap")).run().floats());
    assertArrayEquals(new float[] {9, 9, 0, 1, 2, 9, 9}, OneNode.of("Pad").in(x).in(pads)
        .in(NdArray.ofFloats(new long[0], 9)).run().floats());
  }

  @Test
  void negativePadsCrop() {
    NdArray y = OneNode.of("Pad").in(iota(4)).in(NdArray.vector(-1, 1)).run();
    assertArrayEquals(new float[] {1, 2, 3, 0}, y.floats());
  }

  @Test
  void unknownPadModeIsAnError() {
    assertThrows(ConvoyException.class, () -> OneNode.of("Pad").in(iota(2))
        .in(NdArray.vector(1, 1)).attr("mode", Attribute.of("mirror")).run());
  }
}
