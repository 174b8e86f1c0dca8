package dev.convoy.transforms.optimize.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.ir.graph.Graph;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.RuleCases;
import dev.convoy.transforms.optimize.Target;
import org.junit.jupiter.api.Test;

/**
 * {@code fuse-channel-shuffle} through {@link RuleCases}: a shuffle that a layout Transpose moved
 * into (the halves of the split axis swapped among moved axes) becomes {@code
 * convoy::ChannelShuffle} and the Transpose of the other axes, keeping the outputs; not on the
 * ONNX target, not for a plain NCHW shuffle (nothing to move), not where the halves are not
 * swapped, not where the Reshapes are read by others.
 */
class FuseChannelShuffleTest {
  /** ShuffleNet's shuffle after an NHWC-to-NCHW Transpose sank into it, on odd sizes. */
  private static final String MOVED = """
      graph g (%x: float32[2,5,7,9]) -> (%y: float32[2,9,5,7]) {
        opset "" 13
        init %groups: int64[5] = [2, 5, 7, 3, 3]
        init %channels: int64[4] = [2, 9, 5, 7]
        %s: float32[2,5,7,3,3] = Reshape(%x, %groups) @split
        %t: float32[2,3,3,5,7] = Transpose(%s) {perm=[0,4,3,1,2]} @shuffle
        %y = Reshape(%t, %channels) @root
      }
      """;

  /** The shuffle as exporters write it, channels first: no layout Transpose in it. */
  private static final String PLAIN = """
      graph g (%x: float32[1,6,4,5]) -> (%y: float32[1,6,4,5]) {
        opset "" 13
        init %groups: int64[5] = [1, 2, 3, 4, 5]
        init %channels: int64[4] = [1, 6, 4, 5]
        %s: float32[1,2,3,4,5] = Reshape(%x, %groups) @split
        %t: float32[1,3,2,4,5] = Transpose(%s) {perm=[0,2,1,3,4]} @shuffle
        %y = Reshape(%t, %channels) @root
      }
      """;

  private static final OptimizeOptions CVY =
      OptimizeOptions.atLevel(Level.O3).withTarget(Target.CVY);

  private static RuleCases cases(String text) {
    return RuleCases.of(new FuseChannelShuffle(), text, "root").with(CVY);
  }

  @Test
  void fusesAMovedShuffleAndKeepsOutputs() {
    Graph g = cases(MOVED).firesAndKeepsOutputs();
    assertEquals(1, g.opHistogram().get("convoy::ChannelShuffle"));
    assertEquals(1, g.opHistogram().get("Transpose"));
    assertEquals(null, g.opHistogram().get("Reshape"));
  }

  @Test
  void notOnTheOnnxTarget() {
    RuleCases.of(new FuseChannelShuffle(), MOVED, "root").notFiring("no convoy ops");
  }

  @Test
  void notForAShuffleNoLayoutTransposeMovedThrough() {
    cases(PLAIN).notFiring("a shuffle no layout Transpose moved through");
  }

  @Test
  void notWhereTheHalvesKeepTheirOrder() {
    cases(MOVED.replace("perm=[0,4,3,1,2]", "perm=[0,3,4,1,2]"))
        .notFiring("does not swap the two halves of axis 3");
  }

  @Test
  void notWhereTheLastReshapeMergesOtherAxes() {
    cases(MOVED.replace("[2, 9, 5, 7]", "[2, 9, 35, 1]").replace("float32[2,9,5,7]",
        "float32[2,9,35,1]")).notFiring("does not merge exactly the swapped halves");
  }

  @Test
  void notWhereAnIntermediateEscapes() {
    cases(MOVED).notWhereGraphOutput("t");
    cases(MOVED).notWhereAnotherConsumer("s");
  }
}
