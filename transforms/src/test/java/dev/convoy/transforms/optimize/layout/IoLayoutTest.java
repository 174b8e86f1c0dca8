package dev.convoy.transforms.optimize.layout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.testing.TestData;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.Optimizer;
import dev.convoy.transforms.optimize.Target;
import dev.convoy.transforms.optimize.move.Perms;
import dev.convoy.transforms.verify.SeededInputs;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@code --io-layout nhwc}: the boundary Transposes of an O3 {@code .cvy} go, the inputs and
 * outputs that changed are named in the metadata, and the graph computes on NHWC data exactly what
 * the NCHW graph computes on the same data transposed.
 */
class IoLayoutTest {
  private static final OptimizeOptions O3_CVY =
      OptimizeOptions.atLevel(Level.O3).withTarget(Target.CVY);

  @Test
  void mobilenetReadsNhwcWithoutAnyTranspose() {
    Graph o3 = Optimizer.optimize(OnnxImporter.importFile(
        TestData.devModels().resolve("mobilenet_v2.onnx")), O3_CVY).graph();
    Graph nhwc = o3.copy();
    IoLayout.Changed c = IoLayout.toNhwc(nhwc, O3_CVY);
    assertEquals(List.of("input"), c.inputs());
    assertEquals("inputs=input;outputs=", nhwc.metadata().get(IoLayout.KEY));
    assertEquals(0, O3LayoutDevModelsTest.transposes(nhwc));
    Map<String, Tensor> in = SeededInputs.generate(o3, Map.of());
    Tensor x = in.get("input");
    Map<String, Tensor> want = Evaluator.standard().runTensors(o3, in);
    Map<String, Tensor> got = Evaluator.standard().runTensors(nhwc,
        Map.of("input", nhwcOf(x)));
    assertArrayEquals(floats(want.get("output")), floats(got.get("output")));
  }

  @Test
  void aConvNetWritesItsFourDimensionalOutputNhwc() {
    Random rnd = new Random(7);
    StringBuilder w = new StringBuilder();
    for (int i = 0; i < 6 * 3 * 3 * 3; i++) {
      w.append(i == 0 ? "" : ", ").append(rnd.nextFloat() - 0.5f);
    }
    Graph g = GraphParser.parse("""
        graph g (%x: float32[2,3,9,7]) -> (%y) {
          opset "" 13
          init %w: float32[6,3,3,3] = [""" + w + """
        ]
          %c = Conv(%x, %w) {pads=[1,1,1,1]} @conv
          %r = Relu(%c) @relu
          %y = MaxPool(%r) {kernel_shape=[2,2], strides=[2,2]} @pool
        }
        """);
    Graph o3 = Optimizer.optimize(g, O3_CVY).graph();
    Graph nhwc = o3.copy();
    IoLayout.Changed c = IoLayout.toNhwc(nhwc, O3_CVY);
    assertEquals(List.of("x"), c.inputs());
    assertEquals(List.of("y"), c.outputs());
    assertEquals(0, O3LayoutDevModelsTest.transposes(nhwc));
    Map<String, Tensor> in = SeededInputs.generate(g, Map.of());
    Tensor want = Evaluator.standard().runTensors(o3, in).get("y");
    Tensor got = Evaluator.standard().runTensors(nhwc, Map.of("x", nhwcOf(in.get("x"))))
        .get("y");
    assertArrayEquals(floats(nhwcOf(want)), floats(got));
  }

  @Test
  void yoloxReadsNhwcThroughItsFocusSlices() {
    Graph o3 = Optimizer.optimize(OnnxImporter.importFile(
        TestData.devModels().resolve("yolox_nano.onnx")), O3_CVY).graph();
    assertEquals(1, O3LayoutDevModelsTest.transposes(o3), "the Focus keeps one Transpose at O3");
    Graph nhwc = o3.copy();
    IoLayout.Changed c = IoLayout.toNhwc(nhwc, O3_CVY);
    assertEquals(List.of("images"), c.inputs());
    assertEquals(List.of(), c.outputs(), "the output is 3-D");
    assertEquals(0, O3LayoutDevModelsTest.transposes(nhwc));
    Map<String, Tensor> in = SeededInputs.generate(o3, Map.of());
    Map<String, Tensor> want = Evaluator.standard().runTensors(o3, in);
    Map<String, Tensor> got = Evaluator.standard().runTensors(nhwc,
        Map.of("images", nhwcOf(in.get("images"))));
    assertArrayEquals(floats(want.get("output")), floats(got.get("output")));
  }

  @Test
  void anInputAlsoReadChannelsFirstStaysNchw() {
    Graph g = GraphParser.parse("""
        graph g (%x: float32[1,2,4,4]) -> (%y, %f) {
          opset "" 13
          init %w: float32[3,2,1,1] = [0.5, -1.0, 2.0, 0.25, -0.75, 1.5]
          %s = Slice(%x, %starts, %ends, %axes) @slice
          %y = Conv(%s, %w) @conv
          %f = Flatten(%x) {axis=1} @flatten
          init %starts: int64[1] = [1]
          init %ends: int64[1] = [4]
          init %axes: int64[1] = [2]
        }
        """);
    Graph o3 = Optimizer.optimize(g, O3_CVY).graph();
    Graph nhwc = o3.copy();
    IoLayout.Changed c = IoLayout.toNhwc(nhwc, O3_CVY);
    assertEquals(List.of(), c.inputs(), "Flatten reads x channels-first");
    assertEquals(o3.inputs().get(0).tensorType(), nhwc.inputs().get(0).tensorType());
    assertEquals(O3LayoutDevModelsTest.transposes(o3) - c.outputs().size(),
        O3LayoutDevModelsTest.transposes(nhwc));
  }

  /** {@code Transpose(t, [0,2,3,1])}. */
  private static Tensor nhwcOf(Tensor t) {
    return Perms.moveConstant(t, ConvertToNhwc.TO_NCHW);
  }

  private static float[] floats(Tensor t) {
    return t.toFloatArray();
  }
}
