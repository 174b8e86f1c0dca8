package dev.convoy.transforms.optimize.move;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.convoy.ir.graph.Graph;
import dev.convoy.transforms.optimize.RuleCases;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link SinkSplit}: the same op after every part of a Split runs once before it, the split axis
 * renumbered through Unsqueeze and Transpose, at any size of the symbolic dims; a part that is a
 * graph output or read twice, different ops, or a shared operand that is no scalar keep the
 * Split where it is.
 */
class SinkSplitTest {
  private static final String SPECTRUM = """
      graph g (%x: float32[batch,6,t]) -> (%y: float32[batch,1,t,3]) {
        opset "" 13
        init %sizes: int64[2] = [3, 3]
        init %axes1: int64[1] = [1]
        init %two: float32[] = [2.0]
        %re: float32[batch,3,t], %im: float32[batch,3,t] = Split(%x, %sizes) {axis=1} @root
        %ure: float32[batch,1,3,t] = Unsqueeze(%re, %axes1) @ure
        %uim: float32[batch,1,3,t] = Unsqueeze(%im, %axes1) @uim
        %tre: float32[batch,1,t,3] = Transpose(%ure) {perm=[0,1,3,2]} @tre
        %tim: float32[batch,1,t,3] = Transpose(%uim) {perm=[0,1,3,2]} @tim
        %pre: float32[batch,1,t,3] = Pow(%tre, %two) @pre
        %pim: float32[batch,1,t,3] = Pow(%tim, %two) @pim
        %y = Add(%pre, %pim) @add
      }
      """;

  private static final RuleCases CASES = RuleCases.of(new SinkSplit(), SPECTRUM, "root");

  @Test
  void unsqueezeTransposeAndPowRunOnceAtEveryShape() {
    Graph g = CASES.atShapes(Map.of("x", new long[] {2, 6, 5})).firesAndKeepsOutputs();
    assertEquals(1, g.opHistogram().get("Unsqueeze"));
    assertEquals(1, g.opHistogram().get("Transpose"));
    assertEquals(1, g.opHistogram().get("Pow"));
    assertNull(g.opHistogram().get("Slice"));
    CASES.keepsOutputsAtShapes(
        Map.of("x", new long[] {1, 6, 9}), Map.of("x", new long[] {4, 6, 2}));
  }

  @Test
  void perPartVectorsAlongTheLastAxisAreJoined() {
    RuleCases perPart = RuleCases.of(new SinkSplit(), """
        graph g (%x: float32[batch,seq,5], %s: float32[]) -> (%a: float32[batch,seq,2],
            %b: float32[batch,seq,3]) {
          opset "" 13
          init %sizes: int64[2] = [2, 3]
          init %ca: float32[2] = [0.5, -2.0]
          init %cb: float32[3] = [1.5, 3.0, -0.25]
          %sa: float32[2] = Mul(%s, %ca) @scale_a
          %sb: float32[3] = Mul(%s, %cb) @scale_b
          %p: float32[batch,seq,2], %q: float32[batch,seq,3] = Split(%x, %sizes) {axis=2} @root
          %a = Mul(%p, %sa) @mul_p
          %b = Mul(%q, %sb) @mul_q
        }
        """, "root");
    Graph g = perPart.atShapes(Map.of("x", new long[] {2, 3, 5})).firesAndKeepsOutputs();
    assertEquals(1, g.opHistogram().get("Concat"));
    perPart.keepsOutputsAtShapes(
        Map.of("x", new long[] {1, 1, 5}), Map.of("x", new long[] {4, 6, 5}));
  }

  @Test
  void notWhereAPartEscapes() {
    CASES.notWhereGraphOutput("re");
    CASES.notWhereAnotherConsumer("im");
  }

  @Test
  void notForDifferentOps() {
    RuleCases.of(new SinkSplit(), SPECTRUM.replace("Unsqueeze(%im, %axes1)", "Unsqueeze(%im, %axes0)")
            .replace("init %two", "init %axes0: int64[1] = [0]\n  init %two")
            .replace("%uim: float32[batch,1,3,t]", "%uim: float32[1,batch,3,t]")
            .replace("%tim: float32[batch,1,t,3]", "%tim: float32[1,batch,t,3]")
            .replace("%pim: float32[batch,1,t,3]", "%pim: float32[1,batch,t,3]"), "root")
        .notFiring("Unsqueeze ure reads operand 1 that differs between the parts");
  }

  @Test
  void notWithASharedOperandThatIsNoScalar() {
    RuleCases.of(new SinkSplit(), """
        graph g (%x: float32[2,6]) -> (%a: float32[2,3], %b: float32[2,3]) {
          opset "" 13
          init %sizes: int64[2] = [3, 3]
          init %c: float32[2,1] = [1.0, 2.0]
          %p: float32[2,3], %q: float32[2,3] = Split(%x, %sizes) {axis=1} @root
          %a = Mul(%p, %c) @mul_p
          %b = Mul(%q, %c) @mul_q
        }
        """, "root").notFiring("Mul mul_p reads operand 1 that differs between the parts or could"
            + " broadcast along the split axis");
  }
}
