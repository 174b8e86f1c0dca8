package dev.convoy.ir.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.ir.text.RandomGraphs;
import dev.convoy.ir.text.SampleGraphs;
import java.util.List;
import org.junit.jupiter.api.Test;

class GraphVerifierTest {
  private static final ValueType F2 = ValueType.TensorType.of(DType.FLOAT, 2);

  private static Node add(Graph g, String op, List<Value> ins, String out) {
    Node n = g.addNode("", op, ins, List.of(out), null);
    n.setName(out + "_node");
    return n;
  }

  /** Asserts exactly one problem, containing every fragment. */
  private static void assertOneProblem(Graph g, String... fragments) {
    List<String> problems = GraphVerifier.verify(g);
    assertEquals(1, problems.size(), () -> "problems: " + problems);
    for (String f : fragments) {
      assertTrue(problems.get(0).contains(f), () -> "'" + f + "' not in: " + problems.get(0));
    }
  }

  @Test
  void wellFormedGraphsHaveNoProblems() {
    SampleGraphs.all().forEach((name, g) -> {
      if (!name.equals("initializerTypeDiffersFromTensor")) {
        assertEquals(List.of(), GraphVerifier.verify(g), name);
      }
    });
    for (long seed = 0; seed < 200; seed++) {
      assertEquals(List.of(), GraphVerifier.verify(RandomGraphs.wellFormed(seed)), "seed " + seed);
    }
  }

  @Test
  void reportsCycleNamingTheNodesOnIt() {
    Graph g = new Graph();
    g.setName("main");
    Value x = g.addInput("x", F2);
    Node a = add(g, "Add", List.of(x, x), "a");
    Node b = add(g, "Relu", List.of(a.output(0)), "b");
    Node c = add(g, "Neg", List.of(b.output(0)), "c");
    a.setInput(1, c.output(0));
    g.addOutput(c.output(0));
    assertOneProblem(g, "graph 'main': nodes form a cycle (each feeds the next): "
        + "node 'b_node' (Relu) -> node 'c_node' (Neg) -> node 'a_node' (Add) -> node 'b_node'");
  }

  @Test
  void reportsNodeReadingItsOwnOutput() {
    Graph g = new Graph();
    Value x = g.addInput("x", F2);
    Node a = add(g, "Add", List.of(x, x), "a");
    a.setInput(1, a.output(0));
    g.addOutput(a.output(0));
    assertOneProblem(g, "cycle", "node 'a_node' (Add) -> node 'a_node' (Add)");
  }

  @Test
  void reportsUseBeforeDefinitionWithoutCycle() {
    Graph g = new Graph();
    Value x = g.addInput("x", F2);
    Node a = add(g, "Neg", List.of(x), "a");
    Node b = add(g, "Relu", List.of(a.output(0)), "b");
    g.moveNode(b, 0);
    g.addOutput(b.output(0));
    assertOneProblem(g, "graph, node 'b_node' (Relu) input 0 reads %a before its definition by"
        + " node 'a_node' (Neg) (nodes are not in topological order)");
  }

  @Test
  void reportsInputThatIsNeverDefined() {
    Graph other = new Graph();
    Value stranger = other.addInput("stranger", F2);
    Graph g = new Graph();
    g.setName("main");
    Value x = g.addInput("x", F2);
    Node n = add(g, "Add", List.of(x, stranger), "y");
    g.addOutput(n.output(0));
    assertOneProblem(g, "graph 'main', node 'y_node' (Add) input 1: reads %stranger, which is"
        + " not defined in this graph or an enclosing one");
  }

  @Test
  void reportsReadOfARemovedNodesOutput() {
    Graph g = new Graph();
    Value x = g.addInput("x", F2);
    Node a = add(g, "Neg", List.of(x), "a");
    Node b = add(g, "Relu", List.of(x), "b");
    g.removeNode(a);
    b.setInput(0, a.output(0));
    g.addOutput(b.output(0));
    assertOneProblem(g, "node 'b_node' (Relu) input 0: reads %a",
        "its producer Neg 'a_node' is no longer in the graph");
  }

  @Test
  void reportsGraphOutputThatIsNoLongerDefined() {
    Graph g = new Graph();
    Value x = g.addInput("x", F2);
    Node a = add(g, "Neg", List.of(x), "a");
    g.removeNode(a);
    g.addOutput(a.output(0));
    Value w = g.addInitializer("w", Tensor.ofFloats(new long[] {2}, 1, 2));
    g.removeInitializer(w);
    g.addOutput(w);
    List<String> problems = GraphVerifier.verify(g);
    assertEquals(2, problems.size(), problems.toString());
    assertTrue(problems.get(0).startsWith("graph output 0: reads %a"), problems.get(0));
    assertTrue(problems.get(1).contains("output 1: reads %w")
        && problems.get(1).contains("removed initializer"), problems.get(1));
  }

  @Test
  void reportsValueDefinedTwiceInOneScope() {
    Graph g = new Graph();
    Value x = g.addInput("x", F2);
    g.addInput("x", F2);
    Node n = add(g, "Neg", List.of(x), "x");
    g.addOutput(n.output(0));
    assertOneProblem(g, "value %x is defined 3 times: graph input, graph input,"
        + " output 0 of node 'x_node' (Neg)");
  }

  @Test
  void reportsSubgraphValueShadowingAnEnclosingOne() {
    Graph g = GraphParser.parse("""
        graph main (%c: bool[], %x: float32[2]) -> (%y) {
          %y = If(%c) {
            then_branch=graph t () -> (%x) { %x = Neg(%c) },
            else_branch=graph e () -> (%c) {}
          }
        }
        """.replace("%x = Neg(%c)", "%z = Neg(%c)").replace("-> (%x) {", "-> (%z) {"));
    assertEquals(List.of(), GraphVerifier.verify(g));
    Graph sub = ((Attribute.GraphAttr) g.nodes().get(0).attribute("then_branch").get()).value();
    sub.nodes().get(0).output(0).rename("z2");
    sub.addInput("x", F2);
    assertOneProblem(g, "graph 't' (in attribute then_branch of graph 'main', node #0 (If)):"
        + " value %x shadows a value of enclosing graph 'main'");
  }

  @Test
  void reportsCaptureOfAValueDefinedAfterTheOwningNode() {
    Graph g = GraphParser.parse("""
        graph main (%x: float32[2]) -> (%y) {
          %c = Cond(%x)
          %y = If(%c) {
            then_branch=graph t () -> (%t) { %t = Neg(%late) },
            else_branch=graph e () -> (%x) {}
          }
          %late = Relu(%x)
        }
        """);
    assertOneProblem(g, "node #0 (Neg) input 0 reads %late of enclosing graph 'main' before"
        + " its definition by node #2 (Relu)");
  }

  @Test
  void reportsCaptureThatDoesNotResolveInEnclosingScopes() {
    Graph g = GraphParser.parse("""
        graph main (%c: bool[]) -> (%y) {
          %y = If(%c) {
            then_branch=graph t () -> (%t) { %t = Neg(%c) },
            else_branch=graph e () -> (%e) { %e = Relu(%c) }
          }
        }
        """);
    Graph thenG = ((Attribute.GraphAttr) g.nodes().get(0).attribute("then_branch").get()).value();
    Graph elseG = ((Attribute.GraphAttr) g.nodes().get(0).attribute("else_branch").get()).value();
    elseG.nodes().get(0).setInput(0, thenG.nodes().get(0).output(0));
    assertOneProblem(g, "graph 'e'", "node #0 (Relu) input 0: reads %t, which is not defined in"
        + " this graph or an enclosing one (it belongs to graph 't'");
  }

  @Test
  void reportsStaleUseAfterASubgraphIsReplaced() {
    Graph g = GraphParser.parse("""
        graph main (%c: bool[], %x: float32[2]) -> (%y) {
          %y = If(%c) {
            then_branch=graph t () -> (%t) { %t = Neg(%x) },
            else_branch=graph e () -> (%x) {}
          }
        }
        """);
    Node ifNode = g.nodes().get(0);
    Graph replacement = g.newSubgraph("t2");
    replacement.addOutput(g.inputs().get(1));
    ifNode.setAttribute("then_branch", Attribute.of(replacement));
    assertOneProblem(g, "%x: its use list records input 0 of Neg, which is no longer part of"
        + " the graph");
  }

  @Test
  void reportsInitializerWhoseTypeDisagreesWithItsTensor() {
    List<String> problems = GraphVerifier.verify(SampleGraphs.initializerTypeDiffersFromTensor());
    assertEquals(List.of(
        "graph 'mismatch': initializer %w is declared float32[N] but its tensor is float32[2]",
        "graph 'mismatch': initializer %u has no type; its tensor is float32[2]"), problems);
  }

  @Test
  void reportsElementTypesThatMustAgree() {
    Graph g = GraphParser.parse("""
        graph main (%c: bool[], %x: float32[2]) -> (%y, %z, %k) {
          %y: float32[2] = If(%c) {
            then_branch=graph t () -> (%t: int64[2]) { %t = Cast(%x) {to=7} },
            else_branch=graph e () -> (%x) {}
          }
          %z: int32[2] = Cast(%x) {to=1}
          %k: float16[1] = Constant() {value=float32[1] [1.0]}
        }
        """);
    List<String> problems = GraphVerifier.verify(g);
    assertEquals(3, problems.size(), problems.toString());
    assertEquals("graph 'main', node #0 (If): then_branch output 0 %t is int64 but node output 0"
        + " %y is float32", problems.get(0));
    assertEquals("graph 'main', node #1 (Cast): casts to element type 1 but its output %z is"
        + " int32", problems.get(1));
    assertEquals("graph 'main', node #2 (Constant): its value is float32 but its output %k is"
        + " float16", problems.get(2));
  }

  @Test
  void checkThrowsWithContextAndEveryProblem() {
    Graph g = new Graph();
    Value x = g.addInput("x", F2);
    Node a = add(g, "Add", List.of(x, x), "a");
    a.setInput(1, a.output(0));
    g.addInput("x", F2);
    g.addOutput(a.output(0));
    var e = assertThrows(InvalidModelException.class,
        () -> GraphVerifier.check(g, "after rule fuse-conv-bn"));
    assertTrue(e.getMessage().startsWith("after rule fuse-conv-bn: invalid graph (2 problems): "),
        e.getMessage());
    assertTrue(e.getMessage().contains("value %x is defined 2 times"), e.getMessage());
    assertTrue(e.getMessage().contains("cycle"), e.getMessage());
    GraphVerifier.check(SampleGraphs.conv(), "a well-formed graph passes");
  }
}
