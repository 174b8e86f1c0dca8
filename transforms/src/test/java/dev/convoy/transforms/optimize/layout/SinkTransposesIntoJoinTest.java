package dev.convoy.transforms.optimize.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.ir.graph.Graph;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.RuleCases;
import org.junit.jupiter.api.Test;

/**
 * {@code sink-transposes-into-join} through {@link RuleCases}: YOLOX-like heads (NHWC to NCHW,
 * flatten, Concat) and an elementwise join of three branches lose their Transposes for one after
 * the join, keeping the outputs; not with one branch, not where branches carry different
 * permutations, not where a data input of the join is no branch, not where an intermediate
 * escapes.
 */
class SinkTransposesIntoJoinTest {
  private static final String HEADS = """
      graph g (%a: float32[2,4,3,5], %b: float32[2,2,1,5]) -> (%y: float32[2,5,14]) {
        opset "" 13
        init %flat_a: int64[3] = [2, 5, 12]
        init %flat_b: int64[3] = [2, 5, 2]
        %ta: float32[2,5,4,3] = Transpose(%a) {perm=[0,3,1,2]} @ta
        %tb: float32[2,5,2,1] = Transpose(%b) {perm=[0,3,1,2]} @tb
        %ra: float32[2,5,12] = Reshape(%ta, %flat_a) @ra
        %rb: float32[2,5,2] = Reshape(%tb, %flat_b) @rb
        %y = Concat(%ra, %rb) {axis=2} @root
      }
      """;

  private static final String THREE_WAY = """
      graph g (%a: float32[1,3,4,2], %b: float32[1,3,4,2], %c: float32[1,3,4,2])
          -> (%y: float32[1,2,3,4]) {
        opset "" 13
        %ta: float32[1,2,3,4] = Transpose(%a) {perm=[0,3,1,2]} @ta
        %tb: float32[1,2,3,4] = Transpose(%b) {perm=[0,3,1,2]} @tb
        %tc: float32[1,2,3,4] = Transpose(%c) {perm=[0,3,1,2]} @tc
        %ea: float32[1,2,3,4] = Relu(%ta) @ea
        %eb: float32[1,2,3,4] = Sigmoid(%tb) @eb
        %ec: float32[1,2,3,4] = Neg(%tc) @ec
        %y = Sum(%ea, %eb, %ec) @root
      }
      """;

  private static RuleCases cases(String text) {
    return RuleCases.of(new SinkTransposesIntoJoin(), text, "root")
        .with(OptimizeOptions.atLevel(Level.O3));
  }

  @Test
  void sinksTheHeadsOfADetectorIntoOneTranspose() {
    Graph g = cases(HEADS).firesAndKeepsOutputs();
    assertEquals(1, g.opHistogram().get("Transpose"));
  }

  @Test
  void sinksThreeElementwiseBranches() {
    Graph g = cases(THREE_WAY).firesAndKeepsOutputs();
    assertEquals(1, g.opHistogram().get("Transpose"));
  }

  @Test
  void notWithOneBranch() {
    cases(HEADS.replace("%tb: float32[2,5,2,1] = Transpose(%b) {perm=[0,3,1,2]} @tb",
        "%tb: float32[2,5,2,1] = Reshape(%b, %shape_b) @tb").replace(
        "init %flat_b", "init %shape_b: int64[4] = [2, 5, 2, 1]\n  init %flat_b"))
        .notFiring("joins fewer than two transposed branches");
  }

  @Test
  void notWhereTheBranchesCarryDifferentPermutations() {
    cases(THREE_WAY.replace("%tc: float32[1,2,3,4] = Transpose(%c) {perm=[0,3,1,2]}",
        "%tc: float32[1,2,3,4] = Transpose(%c) {perm=[0,3,2,1]}").replace(
        "%c: float32[1,3,4,2]", "%c: float32[1,4,3,2]"))
        .notFiring("carries another permutation");
  }

  @Test
  void notWhereADataInputIsNoBranch() {
    cases(THREE_WAY.replace("%ec: float32[1,2,3,4] = Neg(%tc) @ec",
        "%ec: float32[1,2,3,4] = Neg(%tc) @ec\n  %other: float32[1,2,3,4] = Relu(%ec) @other")
        .replace("Sum(%ea, %eb, %ec)", "Sum(%ea, %eb, %other)"))
        .notFiring("other is not a transposed branch");
  }

  @Test
  void notWhereAnIntermediateEscapes() {
    cases(THREE_WAY.replace("-> (%y: float32[1,2,3,4])",
        "-> (%y: float32[1,2,3,4], %ea: float32[1,2,3,4])"))
        .notFiring("ea is not a transposed branch");
    cases(THREE_WAY.replace("-> (%y: float32[1,2,3,4])",
        "-> (%y: float32[1,2,3,4], %ta: float32[1,2,3,4])"))
        .notFiring("ea is not a transposed branch");
  }
}
