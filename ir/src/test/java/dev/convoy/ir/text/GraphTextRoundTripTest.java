package dev.convoy.ir.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.GraphDiff;
import dev.convoy.ir.graph.HalfFloats;
import dev.convoy.ir.graph.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class GraphTextRoundTripTest {

  static Stream<Arguments> samples() {
    return SampleGraphs.all().entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
  }

  /** parse(print(g)) equals g, and printing that again gives the same text. */
  static void assertRoundTrips(String label, Graph g) {
    String text = GraphPrinter.print(g);
    Graph back = GraphParser.parse(text, label);
    assertNull(GraphDiff.first(g, back), () -> label + " differs after parse(print):\n" + text);
    assertEquals(g, back);
    assertEquals(text, GraphPrinter.print(back), label + ": printing is not canonical");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void handBuiltGraphsRoundTrip(String name, Graph g) {
    assertRoundTrips(name, g);
  }

  @Test
  void randomGraphsRoundTrip() {
    for (long seed = 0; seed < 400; seed++) {
      assertRoundTrips("random graph seed " + seed, RandomGraphs.generate(seed));
    }
  }

  @Test
  void smallGraphPrintsReadably() {
    String expected = """
        graph main_graph (%x: float32[N,3,224,224]) -> (%y: float32[N,2,224,224]) {
          opset "" 13
          opset "com.microsoft" 1
          init %w: float32[2,3,1,1] = [-0.75, -0.5, -0.25, 0.0, 0.25, 0.5]
          %a: float32[N,2,224,224] = Conv(%x, %w) {kernel_shape=[1,1], pads=[0,0,0,0]} @conv1
          %y = com.microsoft::Gelu(%a)
        }
        """;
    assertEquals(expected, GraphPrinter.print(SampleGraphs.conv()));
  }

  @Test
  void handWrittenTextParses() {
    Graph g = GraphParser.parse("""
        # a comment
        graph g (%x: float32[2], %s: int64[]) -> (%y: float32[2]) {
          opset "" 13
          init %w: float32[2] = [1, 2.5]          # integers accepted as floats
          init %c = int32[2,2] [1, -2, 3, 4]
          %a = Add(%x, %w)
          %y = Resize(%a, _, %c) {mode="nearest", scales=[1, 2.0], axes=ints[]}
        }
        """);
    assertEquals(2, g.nodes().size());
    assertEquals(DType.FLOAT, g.outputs().get(0).tensorType().dtype());
    assertEquals(Tensor.ofFloats(new long[] {2}, 1f, 2.5f), g.initializer("w").constant());
    assertNull(g.initializer("c").type());
    assertNull(g.nodes().get(1).input(1));
    assertEquals("nearest", g.nodes().get(1).stringAttr("mode", ""));
    assertRoundTrips("hand written", g);
  }

  @Test
  void valueUsedBeforeItsDefinitionSurvivesRoundTrip() {
    Graph g = GraphParser.parse("""
        graph g (%x: float32[1]) -> (%b) {
          %b = Relu(%a)
          %a = Neg(%x)
        }
        """);
    assertEquals("a", g.nodes().get(0).input(0).name());
    assertEquals(1, g.nodes().get(1).output(0).uses().size());
    assertRoundTrips("out of order", g);
  }

  @Test
  void everyHalfAndBfloat16BitPatternRoundTrips() {
    for (DType dt : new DType[] {DType.FLOAT16, DType.BFLOAT16}) {
      for (int base = 0; base < 65536; base += 64) {
        ByteBuffer b = ByteBuffer.allocate(128).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 64; i++) {
          b.putShort((short) (base + i));
        }
        Graph g = new Graph();
        g.addInitializer("h", Tensor.ofBytes(dt, new long[] {64}, b.array()));
        assertRoundTrips(dt + " from " + base, g);
      }
    }
    assertEquals(0x3c00, HalfFloats.fromFloat(1f));
  }

  @Test
  void bigModelPrintsAndParsesQuickly() {
    Graph g = new Graph();
    g.setName("big");
    var prev = g.addInput("x", SampleGraphs.t(DType.FLOAT, "N", 256));
    for (int i = 0; i < 100; i++) {
      var w = g.addInitializer("w" + i, Tensor.ofFloats(new long[] {256, 256},
          SampleGraphs.floats(65536, 1e-3f)));
      var b = g.addInitializer("b" + i, Tensor.ofFloats(new long[] {64},
          SampleGraphs.floats(64, 1e-2f)));
      var mm = g.addNode("", "MatMul", java.util.List.of(prev, w), java.util.List.of("m" + i),
          null);
      var add = g.addNode("", "Add", java.util.List.of(mm.output(0), b),
          java.util.List.of("a" + i), null);
      prev = add.output(0);
    }
    g.addOutput(prev);
    long t0 = System.nanoTime();
    String text = GraphPrinter.print(g);
    long t1 = System.nanoTime();
    Graph back = GraphParser.parse(text);
    long t2 = System.nanoTime();
    assertEquals(g, back);
    assertTrue(text.length() > 30_000_000, "a 26 MB model prints as " + text.length() + " chars");
    System.out.printf("26 MB model: print %d ms, parse %d ms, %d chars%n",
        (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, text.length());
  }
}
