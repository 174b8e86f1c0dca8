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
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Resize details the node tests leave out: exact integer gathers, shapes, bad modes. */
class ResizeTest {
  private static NdArray floats(float... v) {
    return NdArray.ofFloats(new long[] {v.length}, v);
  }

  @Test
  void nearestResizeOfInt64KeepsEveryBit() {
    long big = (1L << 60) + 1;
    NdArray x = NdArray.ofLongs(new long[] {1, 2}, big, 3);
    NdArray y = OneNode.of("Resize", 19).in(x).none().in(floats(1, 2)).run();
    assertArrayEquals(new long[] {big, big, 3, 3}, y.longs());
  }

  @Test
  void nearestResizeKeepingTheLastAxisCopiesWhatTheGatherCopies() {
    // [N, H, W, C] scaled in H and W (whole channel runs copied) against the same resize of
    // [N, C, H, W] (an element gather), transposed; from a view with an offset.
    float[] v = new float[1 + 2 * 3 * 5 * 4];
    for (int i = 0; i < v.length; i++) {
      v[i] = i * 0.5f - 7;
    }
    NdArray nhwc = NdArray.view(DType.FLOAT, new long[] {2, 3, 5, 4}, v, 1);
    NdArray nchw = OneNode.of("Transpose").in(nhwc)
        .attr("perm", Attribute.of(new long[] {0, 3, 1, 2})).run();
    NdArray got = OneNode.of("Resize", 19).in(nhwc).none().in(floats(1, 2.5f, 0.6f, 1))
        .attr("nearest_mode", Attribute.of("floor"))
        .attr("coordinate_transformation_mode", Attribute.of("asymmetric")).run();
    NdArray gathered = OneNode.of("Resize", 19).in(nchw).none().in(floats(1, 1, 2.5f, 0.6f))
        .attr("nearest_mode", Attribute.of("floor"))
        .attr("coordinate_transformation_mode", Attribute.of("asymmetric")).run();
    NdArray want = OneNode.of("Transpose").in(gathered)
        .attr("perm", Attribute.of(new long[] {0, 2, 3, 1})).run();
    assertArrayEquals(new long[] {2, 7, 3, 4}, got.dims());
    assertArrayEquals(want.floats(), got.floats());
  }

  @Test
  void linearHalfPixelUpsampleInterpolatesAndClampsEdges() {
    NdArray x = NdArray.ofFloats(new long[] {2}, 0, 4);
    NdArray y = OneNode.of("Resize", 19).in(x).none().in(floats(2))
        .attr("mode", Attribute.of("linear")).run();
    assertArrayEquals(new float[] {0, 1, 3, 4}, y.floats(), 1e-6f);
  }

  @Test
  void resizeShapeKeepsUnscaledSymbolicDims() {
    Graph g = new Graph();
    g.opsets().put("", 19L);
    Value x = g.addInput("x", new TensorType(DType.FLOAT,
        Shape.of(Dim.of("N"), Dim.of(3), Dim.of(10), Dim.of(10))));
    Value scales = g.addInitializer("s", Tensor.ofFloats(new long[] {4}, 1, 1, 2, 0.5f));
    Node n = g.addNode("", "Resize", Arrays.asList(x, null, scales), List.of("y"), Map.of());
    ShapeInference.infer(g);
    assertEquals(Shape.of(Dim.of("N"), Dim.of(3), Dim.of(20), Dim.of(5)),
        n.output(0).tensorType().shape());
  }

  @Test
  void resizeToSizesComputedFromAShapeKeepsTheSymbolicBatch() {
    // sizes = Concat(Shape(x)[:2], [32, 32]), as PyTorch exports interpolate(size=...).
    Graph g = new Graph();
    g.opsets().put("", 19L);
    Value x = g.addInput("x", new TensorType(DType.FLOAT,
        Shape.of(Dim.of("N"), Dim.of(3), Dim.of(16), Dim.of(16))));
    Node shape = g.addNode("", "Shape", List.of(x), List.of("s"), Map.of("end",
        Attribute.of(2L)));
    Value hw = g.addInitializer("hw", Tensor.ofLongs(new long[] {2}, 32, 32));
    Node sizes = g.addNode("", "Concat", List.of(shape.output(0), hw), List.of("z"),
        Map.of("axis", Attribute.of(0L)));
    Node n = g.addNode("", "Resize", Arrays.asList(x, null, null, sizes.output(0)),
        List.of("y"), Map.of());
    ShapeInference.infer(g);
    assertEquals(Shape.of(Dim.of("N"), Dim.of(3), Dim.of(32), Dim.of(32)),
        n.output(0).tensorType().shape());
  }

  @Test
  void unknownCoordinateModeIsAnError() {
    assertThrows(ConvoyException.class, () -> OneNode.of("Resize", 19)
        .in(NdArray.ofFloats(new long[] {2}, 0, 4)).none().in(floats(2))
        .attr("coordinate_transformation_mode", Attribute.of("bogus")).run());
  }
}
