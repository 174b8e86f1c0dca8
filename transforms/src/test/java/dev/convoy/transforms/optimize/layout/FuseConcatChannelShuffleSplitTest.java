package dev.convoy.transforms.optimize.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.convoy.ir.graph.Graph;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.RuleCases;
import dev.convoy.transforms.optimize.Target;
import org.junit.jupiter.api.Test;

/**
 * {@code fuse-concat-channel-shuffle-split} through {@link RuleCases}: O3's channels-last unit
 * tail (Concat, {@code convoy::ChannelShuffle}, Split on the last axis) becomes one {@code
 * convoy::ConcatShuffleSplit} and keeps the outputs (evaluator and ONNX Runtime on the exported
 * expansion) with two and three groups (the kernel's interleave), with unequal inputs (its
 * general copy), with only the Concat or only the Split; and the reasons it gives where it must
 * not fire.
 */
class FuseConcatChannelShuffleSplitTest {
  private static final OptimizeOptions CVY =
      OptimizeOptions.atLevel(Level.O3).withTarget(Target.CVY);

  /** Two images of 5x3 pixels, inputs of 4 channels, two groups, two parts. */
  private static final String UNIT = """
      graph g (%a: float32[2,5,3,4], %b: float32[2,5,3,4]) -> (%y1: float32[2,5,3,4], %y2: float32[2,5,3,4]) {
        opset "" 13
        opset "convoy" 1
        init %halves: int64[2] = [4, 4]
        %cat: float32[2,5,3,8] = Concat(%a, %b) {axis=3} @concat
        %s: float32[2,5,3,8] = convoy::ChannelShuffle(%cat) {axis=3, group=2} @root
        %y1, %y2 = Split(%s, %halves) {axis=3} @split
      }
      """;

  /** Three inputs of 2 channels, three groups, three parts. */
  private static final String THREE = """
      graph g (%a: float32[1,4,3,2], %b: float32[1,4,3,2], %c: float32[1,4,3,2]) -> (%y1: float32[1,4,3,2], %y2: float32[1,4,3,2], %y3: float32[1,4,3,2]) {
        opset "" 13
        opset "convoy" 1
        init %thirds: int64[3] = [2, 2, 2]
        %cat: float32[1,4,3,6] = Concat(%a, %b, %c) {axis=-1} @concat
        %s: float32[1,4,3,6] = convoy::ChannelShuffle(%cat) {axis=3, group=3} @root
        %y1, %y2, %y3 = Split(%s, %thirds) {axis=3} @split
      }
      """;

  /** Inputs of 3 and 5 channels: groups straddle the inputs. */
  private static final String UNEQUAL = """
      graph g (%a: float32[1,4,3,3], %b: float32[1,4,3,5]) -> (%y1: float32[1,4,3,4], %y2: float32[1,4,3,4]) {
        opset "" 13
        opset "convoy" 1
        init %halves: int64[2] = [4, 4]
        %cat: float32[1,4,3,8] = Concat(%a, %b) {axis=3} @concat
        %s: float32[1,4,3,8] = convoy::ChannelShuffle(%cat) {axis=3, group=2} @root
        %y1, %y2 = Split(%s, %halves) {axis=3} @split
      }
      """;

  /** The Concat and the shuffle, read by something other than a Split. */
  private static final String NO_SPLIT = """
      graph g (%a: float32[1,4,3,4], %b: float32[1,4,3,4]) -> (%y: float32[1,4,3,8]) {
        opset "" 13
        opset "convoy" 1
        %cat: float32[1,4,3,8] = Concat(%a, %b) {axis=3} @concat
        %s: float32[1,4,3,8] = convoy::ChannelShuffle(%cat) {axis=3, group=2} @root
        %y = Relu(%s) @relu
      }
      """;

  /** The shuffle of a graph input and its Split. */
  private static final String NO_CONCAT = """
      graph g (%x: float32[1,4,3,8]) -> (%y1: float32[1,4,3,4], %y2: float32[1,4,3,4]) {
        opset "" 13
        opset "convoy" 1
        init %halves: int64[2] = [4, 4]
        %s: float32[1,4,3,8] = convoy::ChannelShuffle(%x) {axis=3, group=2} @root
        %y1, %y2 = Split(%s, %halves) {axis=3} @split
      }
      """;

  private static RuleCases cases(String text) {
    return RuleCases.of(new FuseConcatChannelShuffleSplit(), text, "root").with(CVY);
  }

  @Test
  void fusesTheChannelsLastUnitTailAndKeepsOutputs() {
    Graph g = cases(UNIT).firesAndKeepsOutputs();
    assertEquals(1, g.opHistogram().get("convoy::ConcatShuffleSplit"));
    assertNull(g.opHistogram().get("Concat"));
    assertNull(g.opHistogram().get("Split"));
    cases(THREE).firesAndKeepsOutputs();
    cases(UNEQUAL).firesAndKeepsOutputs();
  }

  @Test
  void fusesAShuffleWithOnlyItsConcatOrOnlyItsSplit() {
    assertNull(cases(NO_SPLIT).firesAndKeepsOutputs().opHistogram().get("Concat"));
    assertNull(cases(NO_CONCAT).firesAndKeepsOutputs().opHistogram().get("Split"));
  }

  @Test
  void notWhereTheConcatOrTheShuffleIsReadElsewhere() {
    cases(NO_SPLIT).notWhereAnotherConsumer("cat");
    cases(NO_SPLIT).notWhereGraphOutput("cat");
    cases(NO_CONCAT).notWhereGraphOutput("s");
    cases(NO_CONCAT).notWhereAnotherConsumer("s");
  }

  @Test
  void notWhereTheConcatOrSplitRunsAlongAnotherAxis() {
    cases(NO_SPLIT.replace("Concat(%a, %b) {axis=3}", "Concat(%a, %b) {axis=2}")
        .replace("%a: float32[1,4,3,4], %b: float32[1,4,3,4]",
            "%a: float32[1,4,2,8], %b: float32[1,4,1,8]"))
        .notFiring("cat is not made by a Concat along axis 3");
    cases(NO_CONCAT.replace("Split(%s, %halves) {axis=3}", "Split(%s, %halves) {axis=1}")
        .replace("[4, 4]", "[2, 2]").replace("%y1: float32[1,4,3,4], %y2: float32[1,4,3,4]",
            "%y1: float32[1,2,3,8], %y2: float32[1,2,3,8]"))
        .notFiring("s is not cut into equal parts along axis 3 by a Split");
  }

  @Test
  void notOnTheOnnxTarget() {
    cases(UNIT).with(OptimizeOptions.atLevel(Level.O3)).notFiring("the target has no convoy ops");
  }
}
