package dev.convoy.transforms.optimize.move;

import static dev.convoy.transforms.optimize.move.SinkTransposeTest.O1;
import static dev.convoy.transforms.optimize.move.SinkTransposeTest.named;
import static dev.convoy.transforms.optimize.move.SinkTransposeTest.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.PassContext;
import dev.convoy.transforms.optimize.Rewriter;
import org.junit.jupiter.api.Test;

/** Where move-cast-round-trip must not fire, and the reason it gives. */
class MoveCastRoundTripTest {
  static Match<Node> match(Graph g, String node) {
    return new MoveCastRoundTrip().match(named(g, node), new Rewriter(new PassContext(O1, null)));
  }

  @Test
  void keepsANarrowingRoundTrip() {
    Graph g = parse("""
          %n: float16[2,3] = Cast(%f) {to=10} @narrow
          %t: float16[3,2] = Transpose(%n) {perm=[1,0]} @t
          %k = Cast(%t) {to=1} @back
        """, "(%f: float32[2,3]) -> (%k: float32[3,2])");
    assertEquals("n narrows float32 to float16", match(g, "back").reason());
  }

  @Test
  void keepsAMovedValueThatIsAGraphOutput() {
    Graph g = parse("""
          %w: float32[2,3] = Cast(%h) {to=1} @widen
          %t: float32[3,2] = Transpose(%w) {perm=[1,0]} @t
          %y = Cast(%t) {to=10} @narrow
        """, "(%h: float16[2,3]) -> (%y: float16[3,2], %t: float32[3,2])");
    assertEquals("t has another reader", match(g, "narrow").reason());
  }

  @Test
  void keepsAnArithmeticOpBetweenTheCasts() {
    Graph g = parse("""
          %w: float32[2,3] = Cast(%h) {to=1} @widen
          %e: float32[2,3] = Exp(%w) @exp
          %y = Cast(%e) {to=10} @narrow
        """, "(%h: float16[2,3]) -> (%y: float16[2,3])");
    assertEquals("y does not read a data-movement op", match(g, "narrow").reason());
  }
}
