package dev.convoy.ir.ops.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.ir.eval.ShapeInference;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType.TensorType;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OneNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Einsum equations beyond the node tests, CumSum flags, Det and Trilu. */
class TensorMiscTest {
  private static NdArray iota(long... dims) {
    int n = NdArray.checkedSize(dims);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = i + 1;
    }
    return NdArray.ofFloats(dims, v);
  }

  private static NdArray einsum(String eq, NdArray... xs) {
    OneNode n = OneNode.of("Einsum").attr("equation", Attribute.of(eq));
    for (NdArray x : xs) {
      n.in(x);
    }
    return n.run();
  }

  @Test
  void einsumBatchMatMulWithBroadcastEllipsis() {
    NdArray a = iota(2, 1, 2);
    NdArray b = iota(2, 1);
    NdArray y = einsum("...ij,jk->...ik", a, b);
    assertArrayEquals(new long[] {2, 1, 1}, y.dims());
    assertArrayEquals(new float[] {1 * 1 + 2 * 2, 3 * 1 + 4 * 2}, y.floats());
  }

  @Test
  void einsumTraceDiagonalAndTranspose() {
    NdArray m = iota(3, 3);
    assertArrayEquals(new float[] {15}, einsum("ii", m).floats());
    assertArrayEquals(new float[] {1, 5, 9}, einsum("ii->i", m).floats());
    assertArrayEquals(new float[] {1, 4, 7, 2, 5, 8, 3, 6, 9}, einsum("ij->ji", m).floats());
  }

  @Test
  void einsumImplicitOutputSortsFreeLabels() {
    NdArray a = iota(2, 3);
    NdArray b = iota(3, 2);
    // "ba,ac" contracts a and leaves "bc" in alphabetical order.
    NdArray y = einsum("ba,ac", a, b);
    assertArrayEquals(new long[] {2, 2}, y.dims());
    assertArrayEquals(new float[] {22, 28, 49, 64}, y.floats());
  }

  @Test
  void einsumShapeKeepsSymbolicBatch() {
    Graph g = new Graph();
    g.opsets().put("", 21L);
    Value q = g.addInput("q", new TensorType(DType.FLOAT,
        Shape.of(Dim.of("B"), Dim.of(4), Dim.of("S"), Dim.of(8))));
    Value k = g.addInput("k", new TensorType(DType.FLOAT,
        Shape.of(Dim.of("B"), Dim.of(4), Dim.of("T"), Dim.of(8))));
    Node n = g.addNode("", "Einsum", List.of(q, k), List.of("y"),
        Map.of("equation", Attribute.of("bhid,bhjd->bhij")));
    ShapeInference.infer(g);
    assertEquals(Shape.of(Dim.of("B"), Dim.of(4), Dim.of("S"), Dim.of("T")),
        n.output(0).tensorType().shape());
  }

  @Test
  void cumSumExclusiveReverse() {
    NdArray y = OneNode.of("CumSum").in(iota(4)).in(NdArray.scalarLong(0))
        .attr("exclusive", Attribute.of(1L)).attr("reverse", Attribute.of(1L)).run();
    assertArrayEquals(new float[] {9, 7, 4, 0}, y.floats());
  }

  @Test
  void detOfBatchedMatrices() {
    NdArray m = NdArray.ofFloats(new long[] {2, 2, 2}, 1, 2, 3, 4, 2, 0, 0, 3);
    assertArrayEquals(new float[] {-2, 6}, OneNode.of("Det").in(m).run().floats(), 1e-5f);
  }

  @Test
  void triluLowerWithNegativeK() {
    NdArray y = OneNode.of("Trilu").in(iota(3, 3)).in(NdArray.scalarLong(-1))
        .attr("upper", Attribute.of(0L)).run();
    assertArrayEquals(new float[] {0, 0, 0, 4, 0, 0, 7, 8, 0}, y.floats());
  }
}
