package dev.convoy.transforms.optimize.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.ir.graph.Graph;
import dev.convoy.transforms.optimize.RuleCases;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link FuseSiblingConvs}: Inception's 1x1 branches on one input become one Conv and a Split,
 * at any batch and image size; Convs that differ in anything but their output channels, or two
 * Convs that would save nothing, stay.
 */
class FuseSiblingConvsTest {
  private static final String GRAPH = """
      graph g (%x: float32[batch,3,h,w]) -> (%a: float32[batch,2,h,w], %b: float32[batch,4,h,w],
          %c: float32[batch,1,h,w]) {
        opset "" 13
        init %Wa: float32[2,3,1,1] = [-0.074, -0.253, -0.723, 0.733, -0.987, 0.006]
        init %Ba: float32[2] = [0.797, -0.838]
        init %Wb: float32[4,3,1,1] = [0.109, 0.233, -0.918, -0.242, 0.407, -0.096, 0.450, -0.686, -0.524, -0.778, 0.013, 0.848]
        init %Bb: float32[4] = [0.181, 0.548, -0.233, 0.492]
        init %Wc: float32[1,3,1,1] = [-0.797, -0.418, 0.348]
        init %Bc: float32[1] = [0.451]
        %a = Conv(%x, %Wa, %Ba) {kernel_shape=[1,1]} @root
        %b = Conv(%x, %Wb, %Bb) {kernel_shape=[1,1]} @conv_b
        %c = Conv(%x, %Wc, %Bc) {kernel_shape=[1,1]} @conv_c
      }
      """;

  private static final RuleCases THREE = RuleCases.of(new FuseSiblingConvs(), GRAPH, "root");

  @Test
  void threeBranchesBecomeOneConvAndASplitAtEveryShape() {
    Graph g = THREE.atShapes(Map.of("x", new long[] {2, 3, 5, 4})).firesAndKeepsOutputs();
    assertEquals(1, g.opHistogram().get("Conv"));
    assertEquals(1, g.opHistogram().get("Split"));
    THREE.keepsOutputsAtShapes(
        Map.of("x", new long[] {1, 3, 7, 7}), Map.of("x", new long[] {3, 3, 2, 9}));
  }

  @Test
  void notWhenOnlyOneConvReadsTheInputTheSameWay() {
    RuleCases.of(new FuseSiblingConvs(), GRAPH
            .replace("%b = Conv(%x, %Wb, %Bb) {kernel_shape=[1,1]}",
                "%b = Conv(%x, %Wb, %Bb) {kernel_shape=[1,1], strides=[2,2]}")
            .replace("float32[batch,4,h,w]", "float32[batch,4,?,?]")
            .replace("%c = Conv(%x, %Wc, %Bc)", "%c = Conv(%x, %Wc)"), "root")
        .notFiring("no other Conv reads x the same way");
  }

  @Test
  void notForTwoConvsWithoutTheSameOpAfterEach() {
    RuleCases.of(new FuseSiblingConvs(), GRAPH
            .replace("%c = Conv(%x, %Wc, %Bc) {kernel_shape=[1,1]} @conv_c\n", "")
            .replace(",\n    %c: float32[batch,1,h,w]", ""), "root")
        .notFiring("two Convs without the same op after each save no node");
  }

  @Test
  void notOnNonConstantWeights() {
    RuleCases.of(new FuseSiblingConvs(), GRAPH
            .replace("(%x: float32[batch,3,h,w])", "(%x: float32[batch,3,h,w], %Wx: float32[2,3,1,1])")
            .replace("init %Wa: float32[2,3,1,1]", "init %unused: float32[2,3,1,1]")
            .replace("Conv(%x, %Wa, %Ba)", "Conv(%x, %Wx, %Ba)"), "root")
        .notFiring("root is not a group-1 Conv with constant weights");
  }
}
