package dev.convoy.transforms.optimize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.text.GraphParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The optimizer as a whole: levels, pipelines, enable/disable, caps, checks, bad input. */
class OptimizerTest {
  private static final String TWO_IDENTITIES = """
      graph g (%x: float32[2,3]) -> (%y: float32[2,3]) {
        opset "" 13
        %a: float32[2,3] = Identity(%x) @i1
        %b: float32[2,3] = Identity(%a) @i2
        %y = Relu(%b) @relu
      }
      """;

  static OptimizeOptions options(
      Level level, Set<String> enabled, Set<String> disabled, Path pipeline, long cap) {
    return new OptimizeOptions(level, enabled, disabled, pipeline, Map.of(), false, cap);
  }

  static List<String> ops(Graph g) {
    return g.nodes().stream().map(Node::opType).toList();
  }

  @Test
  void levelPipelinesRoundTripThroughText() throws Exception {
    for (Level level : Level.values()) {
      Path file = Paths.get("../configs/pipelines/" + level + ".txt");
      PassPipeline p = PassPipeline.parse(Files.readString(file), file.toString());
      assertEquals(p, PassPipeline.parse(p.print(), "printed"));
      assertEquals(p.print(), PassPipeline.parse(p.print(), "printed").print());
      p.names().forEach(n -> PassRegistry.requireKnown(n, file.toString()));
    }
  }

  @Test
  void pipelineSyntaxErrorNamesFileAndLine() {
    var e = assertThrows(OptimizeException.class,
        () -> PassPipeline.parse("infer-shapes\nrules basic {\n  Bad Name\n}\n", "my.txt"));
    assertTrue(e.getMessage().startsWith("my.txt:3: "), e.getMessage());
  }

  @Test
  void o0LeavesTheGraphAlone() {
    Graph g = GraphParser.parse(TWO_IDENTITIES);
    OptimizeResult r = Optimizer.optimize(g, OptimizeOptions.atLevel(Level.O0));
    assertEquals(g, r.graph());
    assertTrue(r.stats().isEmpty());
  }

  @Test
  void o1RecordsStatsPerPass() {
    OptimizeResult r =
        Optimizer.optimize(GraphParser.parse(TWO_IDENTITIES), OptimizeOptions.atLevel(Level.O1));
    assertEquals(List.of("Relu"), ops(r.graph()));
    PassStat basic = r.stats().stream().filter(s -> s.pass().equals("basic")).findFirst().get();
    assertEquals(3, basic.nodesBefore());
    assertEquals(1, basic.nodesAfter());
    assertEquals(Map.of("eliminate-identity", 2), basic.rewrites());
    assertTrue(r.converged());
  }

  @Test
  void disabledRuleDoesNotRun() {
    OptimizeResult r = Optimizer.optimize(GraphParser.parse(TWO_IDENTITIES),
        options(Level.O1, Set.of(), Set.of("eliminate-identity"), null,
            OptimizeOptions.DEFAULT_FOLD_CAP));
    assertEquals(List.of("Identity", "Identity", "Relu"), ops(r.graph()));
  }

  @Test
  void enabledRuleJoinsAPipelineThatLacksIt(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("p.txt");
    Files.writeString(file, "rules mine {\n  eliminate-dead-nodes\n}\n");
    OptimizeResult r = Optimizer.optimize(GraphParser.parse(TWO_IDENTITIES),
        options(Level.O1, Set.of("eliminate-identity"), Set.of(), file,
            OptimizeOptions.DEFAULT_FOLD_CAP));
    assertEquals(List.of("Relu"), ops(r.graph()));
  }

  @Test
  void unknownRuleNameIsAnErrorListingKnownNames() {
    var e = assertThrows(OptimizeException.class, () -> Optimizer.optimize(
        GraphParser.parse(TWO_IDENTITIES),
        options(Level.O1, Set.of(), Set.of("eliminate-everything"), null, 1)));
    assertTrue(e.getMessage().contains("eliminate-everything"), e.getMessage());
    assertTrue(e.getMessage().contains("eliminate-identity"), e.getMessage());
  }

  @Test
  void ruleSetHittingItsCapIsReportedAsNotConverged(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("p.txt");
    Files.writeString(file, "rules capped max=1 {\n  eliminate-identity\n}\n");
    OptimizeResult r = Optimizer.optimize(GraphParser.parse(TWO_IDENTITIES),
        options(Level.O1, Set.of(), Set.of(), file, OptimizeOptions.DEFAULT_FOLD_CAP));
    assertFalse(r.converged());
    assertTrue(r.notes().stream().anyMatch(n -> n.contains("capped")), r.notes().toString());
  }

  @Test
  void rulesDescendIntoSubgraphsAndKeepCaptures() {
    Graph g = GraphParser.parse("""
        graph g (%c: bool[], %x: float32[2]) -> (%y: float32[2]) {
          opset "" 13
          init %w: float32[2] = [1.0, 2.0]
          %y = If(%c) {
            else_branch=graph e () -> (%e1: float32[2]) {
              %e0: float32[2] = Identity(%x) @inner_identity
              %e1 = Add(%e0, %w) @inner_add
            },
            then_branch=graph t () -> (%t1: float32[2]) {
              %t1 = Mul(%x, %w) @keep_mul
            }
          } @if
        }
        """);
    OptimizeResult r = Optimizer.optimize(g, OptimizeOptions.atLevel(Level.O1));
    assertEquals(3, r.graph().totalNodeCount(), r.graph().toString());
    GoldenChecks.assertValid(r.graph(), "O1");
    GoldenChecks.assertSameOutputs(g, r.graph(), OptimizeOptions.atLevel(Level.O1), "O1");
  }

  @Test
  void foldingThatWouldProduceAHugeTensorStaysUnfolded() {
    Graph g = GraphParser.parse("""
        graph g (%x: float32[1]) -> (%y: float32[100000,100000]) {
          opset "" 13
          init %shape: int64[2] = [100000, 100000]
          %big: float32[100000,100000] = ConstantOfShape(%shape) @huge
          %y = Add(%big, %x) @add
        }
        """);
    OptimizeResult r = Optimizer.optimize(g, OptimizeOptions.atLevel(Level.O1));
    assertEquals(List.of("ConstantOfShape", "Add"), ops(r.graph()));
    assertTrue(r.notes().stream().anyMatch(n -> n.contains("above the fold cap")),
        r.notes().toString());
  }

  @Test
  void foldCapIsConfigurable() {
    String text = """
        graph g (%x: float32[1]) -> (%y: float32[512,512]) {
          opset "" 13
          init %shape: int64[2] = [512, 512]
          %big: float32[512,512] = ConstantOfShape(%shape) @fill
          %y = Add(%big, %x) @add
        }
        """;
    OptimizeResult small = Optimizer.optimize(GraphParser.parse(text),
        options(Level.O1, Set.of(), Set.of(), null, 1 << 19));
    assertEquals(List.of("ConstantOfShape", "Add"), ops(small.graph()));
    OptimizeResult large = Optimizer.optimize(GraphParser.parse(text),
        options(Level.O1, Set.of(), Set.of(), null, 1 << 20));
    assertEquals(List.of("Add"), ops(large.graph()));
  }

  @Test
  void leavesRandomOpsUnfolded() {
    Graph g = GraphParser.parse("""
        graph g (%x: float32[2]) -> (%y: float32[2]) {
          opset "" 13
          init %w: float32[2] = [1.0, 2.0]
          %r: float32[2] = RandomUniformLike(%w) {seed=3.0} @random
          %y = Add(%r, %x) @add
        }
        """);
    OptimizeResult r = Optimizer.optimize(g, OptimizeOptions.atLevel(Level.O1));
    assertEquals(List.of("RandomUniformLike", "Add"), ops(r.graph()));
  }

  @Test
  void keepsDeadNodesOfUnknownDomainsAndRandomOpsApart() {
    Graph g = GraphParser.parse("""
        graph g (%x: float32[2]) -> (%y: float32[2]) {
          opset "" 13
          opset "com.example" 1
          %dead: float32[2] = com.example::Frobnicate(%x) @custom
          %r1: float32[2] = RandomUniformLike(%x) @random1
          %r2: float32[2] = RandomUniformLike(%x) @random2
          %y = Add(%r1, %r2) @add
        }
        """);
    OptimizeResult r = Optimizer.optimize(g, OptimizeOptions.atLevel(Level.O1));
    assertEquals(List.of("Frobnicate", "RandomUniformLike", "RandomUniformLike", "Add"),
        ops(r.graph()));
  }

  @Test
  void opsTheEvaluatorLacksStayUnfoldedWithANote() {
    Graph g = GraphParser.parse("""
        graph g (%x: float32[2]) -> (%y: float32[2]) {
          opset "" 13
          opset "com.example" 1
          init %w: float32[2] = [1.0, 2.0]
          %f: float32[2] = com.example::Frobnicate(%w) @custom
          %y = Add(%f, %x) @add
        }
        """);
    OptimizeResult r = Optimizer.optimize(g, OptimizeOptions.atLevel(Level.O1));
    assertEquals(List.of("Frobnicate", "Add"), ops(r.graph()));
    assertTrue(r.notes().stream().anyMatch(n -> n.contains("lacks com.example::Frobnicate")),
        r.notes().toString());
  }

  /** A deliberately wrong rule: makes a Relu's producer read the Relu's own output. */
  static final class CycleMakingRule implements Rule {
    @Override
    public String name() {
      return "make-cycle-for-test";
    }

    @Override
    public Pattern pattern() {
      return Pattern.ops("Relu");
    }

    @Override
    public boolean matches(Node n, Rewriter rw) {
      return n.input(0).producer() != null;
    }

    @Override
    public void rewrite(Node n, Rewriter rw) {
      rw.setInput(n.input(0).producer(), 0, n.output(0));
    }
  }

  @Test
  void verifierNamesTheRuleThatMadeACycle() {
    Graph g = GraphParser.parse("""
        graph g (%x: float32[2]) -> (%y: float32[2]) {
          opset "" 13
          %a: float32[2] = Neg(%x) @neg
          %y = Relu(%a) @relu
        }
        """);
    OptimizeOptions o = OptimizeOptions.atLevel(Level.O1);
    PassChecker checker = new PassChecker(g.copy(), o);
    PassContext ctx = new PassContext(o, checker::afterRewrite);
    var pass = new RuleSetPass("buggy", List.of(new CycleMakingRule()), 100);
    var e = assertThrows(OptimizeException.class, () -> pass.run(g, ctx));
    assertTrue(e.getMessage().contains("rule 'make-cycle-for-test'"), e.getMessage());
    assertTrue(e.getMessage().toLowerCase().contains("cycle"), e.getMessage());
  }

  @Test
  void numericCheckNamesThePassThatChangedOutputs() {
    Graph g = GraphParser.parse("""
        graph g (%x: float32[4]) -> (%y: float32[4]) {
          opset "" 13
          %a: float32[4] = Neg(%x) @neg
          %y = Relu(%a) @relu
        }
        """);
    OptimizeOptions o = OptimizeOptions.atLevel(Level.O1);
    PassChecker checker = new PassChecker(g, o);
    Graph changed = g.copy();
    changed.nodes().get(0).setOp("", "Abs");
    checker.afterPass(g.copy(), named("harmless"), null, o);
    var e = assertThrows(OptimizeException.class,
        () -> checker.afterPass(changed, named("abs-for-neg"), null, o));
    assertTrue(e.getMessage().contains("pass 'abs-for-neg'"), e.getMessage());
  }

  @Test
  void bisectNamesTheRuleWhoseRewriteChangedOutputs() {
    Graph g = GraphParser.parse("""
        graph g (%x: float32[4]) -> (%y: float32[4]) {
          opset "" 13
          %a: float32[4] = Identity(%x) @id
          %y = Relu(%a) @relu
        }
        """);
    OptimizeOptions o = new OptimizeOptions(Level.O1, Set.of("test-break-relu"), Set.of(), null,
        Map.of(), true, OptimizeOptions.DEFAULT_FOLD_CAP);
    var e = assertThrows(OutputsChangedException.class, () -> Optimizer.optimize(g, o));
    assertEquals("test-break-relu", e.rule(), e.getMessage());
    assertEquals("basic", e.pass(), e.getMessage());
  }

  private static Pass named(String name) {
    return new Pass() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public int run(Graph graph, PassContext ctx) {
        return 0;
      }
    };
  }
}
