package dev.convoy.transforms.verify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.Optimizer;
import dev.convoy.transforms.optimize.Target;
import dev.convoy.transforms.optimize.layout.IoLayout;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link NchwView}: an {@code --io-layout nhwc} graph called as its NCHW original computes what
 * the NCHW O3 graph computes (it runs the NHWC graph on the inputs transposed, its outputs
 * transposed back), keeps the interface's names and shapes, and leaves graphs whose layout never
 * changed alone.
 */
class NchwViewTest {
  private static final OptimizeOptions O3_CVY =
      OptimizeOptions.atLevel(Level.O3).withTarget(Target.CVY);

  @Test
  void callsAnNhwcGraphWithItsNchwInterface() {
    Random rnd = new Random(11);
    StringBuilder w = new StringBuilder();
    for (int i = 0; i < 5 * 3 * 3 * 3; i++) {
      w.append(i == 0 ? "" : ", ").append(rnd.nextFloat() - 0.5f);
    }
    Graph g = GraphParser.parse("""
        graph g (%x: float32[2,3,9,7]) -> (%y, %s) {
          opset "" 13
          init %w: float32[5,3,3,3] = [""" + w + """
        ]
          %c = Conv(%x, %w) {pads=[1,0,1,2], strides=[2,1]} @conv
          %y = MaxPool(%c) {kernel_shape=[2,2], strides=[2,2], ceil_mode=1} @pool
          %s = ReduceSum(%c) {axes=[2,3], keepdims=0} @sum
        }
        """);
    Graph o3 = Optimizer.optimize(g, O3_CVY).graph();
    Graph nhwc = o3.copy();
    IoLayout.Changed c = IoLayout.toNhwc(nhwc, O3_CVY);
    assertEquals(List.of("x"), c.inputs());
    assertEquals(List.of("y"), c.outputs());

    Graph view = NchwView.of(nhwc);
    assertEquals(o3.inputs().get(0).tensorType(), view.inputs().get(0).tensorType());
    assertEquals(List.of("y", "s"), view.outputs().stream().map(v -> v.name()).toList());
    assertEquals(o3.outputs().get(0).tensorType().shape(),
        view.outputs().get(0).tensorType().shape());
    Map<String, Tensor> in = SeededInputs.generate(g, Map.of());
    Map<String, Tensor> want = Evaluator.standard().runTensors(o3, in);
    Map<String, Tensor> got = Evaluator.standard().runTensors(view, in);
    for (String out : List.of("y", "s")) {
      assertArrayEquals(want.get(out).toFloatArray(), got.get(out).toFloatArray(), out);
    }
    assertTrue(IoLayout.changed(view).isEmpty(), "the view is an NCHW model");
  }

  @Test
  void leavesAGraphOfUnchangedLayoutAlone() {
    Graph g = GraphParser.parse("""
        graph g (%x: float32[1,2,3,4]) -> (%y) {
          opset "" 13
          %y = Relu(%x) @relu
        }
        """);
    assertSame(g, NchwView.of(g));
  }
}
