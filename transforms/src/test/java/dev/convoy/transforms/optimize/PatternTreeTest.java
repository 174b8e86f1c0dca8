package dev.convoy.transforms.optimize;

import static dev.convoy.transforms.optimize.PatternTree.anyOf;
import static dev.convoy.transforms.optimize.PatternTree.constant;
import static dev.convoy.transforms.optimize.PatternTree.op;
import static dev.convoy.transforms.optimize.PatternTree.scalar;
import static dev.convoy.transforms.optimize.PatternTree.var;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.text.GraphParser;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The tree matcher: commutation, repeated variables, constants, sole use, and its reasons. */
class PatternTreeTest {
  private static final PatternTree GELU = op("Mul",
      op("Mul", var("x"), op("Add", op("Erf", op("Div", var("x"), scalar(Math.sqrt(2)))),
          scalar(1.0))).named("inner"),
      scalar(0.5));

  /** A GELU chain with operands written in {@code order}, plus {@code extra} lines. */
  private static Graph gelu(String half, String divInput, String outputs, String extra) {
    return GraphParser.parse("""
        graph g (%%x: float32[4], %%w: float32[4]) -> (%%y: float32[4]%s) {
          opset "" 20
          init %%sqrt2: float32[] = [1.4142135]
          init %%one: float32[] = [1.0]
          init %%half: float32[] = [%s]
          %%d: float32[4] = Div(%s, %%sqrt2) @div
          %%e: float32[4] = Erf(%%d) @erf
          %%p: float32[4] = Add(%%one, %%e) @add
          %%m: float32[4] = Mul(%%p, %%x) @mul
          %%y = Mul(%%half, %%m) @root
          %s
        }
        """.formatted(outputs, half, divInput, extra));
  }

  private static Node node(Graph g, String name) {
    return g.nodes().stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow();
  }

  private static String reason(PatternTree t, Graph g) {
    Match<Binding> m = t.match(node(g, "root"));
    assertFalse(m.ok(), "matched");
    return m.reason();
  }

  @Test
  void matchesCommutativeOperandsInEitherOrderAndBindsNamesAndNodes() {
    Graph g = gelu("0.5", "%x", "", "");
    Match<Binding> m = GELU.match(node(g, "root"));
    assertTrue(m.ok(), m.reason());
    Binding b = m.value();
    assertEquals("x", b.value("x").name());
    assertEquals("mul", b.node("inner").name());
    assertEquals("m", b.value("inner").name());
    assertEquals(List.of("root", "mul", "add", "erf", "div"),
        b.nodes().stream().map(Node::name).toList());
    assertEquals(List.of("sqrt2", "one", "half"),
        b.constants().stream().map(v -> v.name()).toList());
  }

  @Test
  void aVariableUsedTwiceMustBindTheSameValue() {
    assertEquals("w is not x (both are x)", reason(GELU, gelu("0.5", "%w", "", "")));
  }

  @Test
  void aWrongConstantFailsWithItsValue() {
    assertEquals("half is 0.6000000238418579, not 0.5", reason(GELU, gelu("0.6", "%x", "", "")));
  }

  @Test
  void anIntermediateThatIsAGraphOutputIsNotMatched() {
    assertEquals("e is a graph output", reason(GELU, gelu("0.5", "%x", ", %e: float32[4]", "")));
  }

  @Test
  void anIntermediateWithAnotherConsumerIsNotMatched() {
    assertEquals("p has another consumer", reason(GELU,
        gelu("0.5", "%x", ", %r: float32[4]", "%r = Relu(%p) @other")));
  }

  @Test
  void aValueUsedTwiceInsideThePatternIsStillSoleUse() {
    Graph g = GraphParser.parse("""
        graph g (%x: float32[4]) -> (%y: float32[4]) {
          opset "" 13
          %r: float32[4] = Relu(%x) @relu
          %y = Mul(%r, %r) @root
        }
        """);
    PatternTree square = op("Mul", op("Relu", var("x")).named("r"), var("r"));
    assertTrue(square.match(node(g, "root")).ok());
  }

  @Test
  void backtracksIntoTheOtherOrderWhenADeeperOperandFails() {
    Graph g = GraphParser.parse("""
        graph g (%x: float32[4]) -> (%y: float32[4]) {
          opset "" 13
          %r: float32[4] = Relu(%x) @relu
          %y = Mul(%x, %r) @root
        }
        """);
    Match<Binding> m = op("Mul", op("Relu", var("x")), var("x")).match(node(g, "root"));
    assertTrue(m.ok(), m.reason());
    assertEquals("x", m.value().value("x").name());
  }

  @Test
  void theConditionCanRejectOneOrderAndAcceptTheOther() {
    Graph g = GraphParser.parse("""
        graph g (%x: float32[4]) -> (%y: float32[4]) {
          opset "" 13
          init %a: float32[] = [1.0]
          init %b: float32[] = [2.0]
          %y = Add(%a, %b) @root
        }
        """);
    PatternTree t = op("Add", constant("first"), constant("second"));
    Match<String> m = t.match(node(g, "root"), b -> b.scalar("first") == 2.0
        ? Match.of(b.value("second").name()) : Match.fail("first is not 2"));
    assertTrue(m.ok(), m.reason());
    assertEquals("a", m.value());
    Match<String> none = t.match(node(g, "root"), b -> Match.fail("never"));
    assertEquals("never", none.reason());
  }

  @Test
  void doesNotMatchAcrossTheBoundaryOfASubgraph() {
    Graph g = GraphParser.parse("""
        graph g (%x: float32[4], %c: bool[]) -> (%y: float32[4]) {
          opset "" 13
          %r: float32[4] = Relu(%x) @relu
          %y = If(%c) {
            else_branch=graph e () -> (%b: float32[4]) {
              %b = Identity(%x) @other
            },
            then_branch=graph t () -> (%a: float32[4]) {
              %a = Neg(%r) @root
            }
          } @if
        }
        """);
    Node[] root = new Node[1];
    g.forEachNode(n -> {
      if (n.name().equals("root")) {
        root[0] = n;
      }
    });
    assertEquals("r comes from an enclosing graph",
        op("Neg", op("Relu", var("x"))).match(root[0]).reason());
  }

  @Test
  void alternativesAtTheRootIndexEveryRootOp() {
    PatternTree t = anyOf(op("Div", var("x"), scalar(2.0)), op("Mul", var("x"), scalar(0.5)));
    assertEquals(Set.of("Div", "Mul"), t.rootPattern().rootOps());
    assertThrows(IllegalArgumentException.class, () -> var("x").rootPattern());
  }

  @Test
  void anOpNeedsItsExactArityUnlessExtraInputsAreAllowed() {
    Graph g = GraphParser.parse("""
        graph g (%x: float32[4]) -> (%y: float32[4]) {
          opset "" 13
          init %lo: float32[] = [0.0]
          %y = Clip(%x, %lo) @root
        }
        """);
    assertEquals("Clip 'root' has 2 inputs, not 1",
        op("Clip", var("x")).match(node(g, "root")).reason());
    assertTrue(op("Clip", var("x")).withExtraInputs().match(node(g, "root")).ok());
  }
}
