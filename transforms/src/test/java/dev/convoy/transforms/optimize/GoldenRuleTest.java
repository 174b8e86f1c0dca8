package dev.convoy.transforms.optimize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.ir.text.GraphPrinter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;

/**
 * Golden before/after tests, one folder per rule or pass under {@code golden/<name>/}: the rule
 * (alone, to a fixpoint) or the pass turns {@code before.txt} into exactly {@code after.txt}. Each
 * {@code before.txt} holds at least one node named {@code keep...}: a place where the rule must not
 * fire, which must survive unchanged. The result must pass the structural verifier and compute the
 * same outputs as the input on seeded inputs (through the evaluator). A missing {@code after.txt}
 * fails like a wrong one: golden files are reviewed like code, so they are written only on request,
 * with {@code -Dconvoy.updateGoldens=true} (then review the diff before committing). A rule that
 * writes for one target only names it in {@code target.txt} ({@code cvy} or {@code ort}).
 */
class GoldenRuleTest {
  static final Path GOLDEN = Paths.get("src/test/resources/golden");
  private static final boolean UPDATE = Boolean.getBoolean("convoy.updateGoldens");

  @TestFactory
  Stream<DynamicTest> rewritesBeforeIntoAfter() throws IOException {
    return folders()
        .map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(), () -> check(dir)));
  }

  @Test
  void everyRuleAndPassHasAGoldenFolder() throws IOException {
    Set<String> have = new HashSet<>();
    folders().forEach(d -> have.add(d.getFileName().toString()));
    Set<String> missing = new HashSet<>(PassRegistry.ruleNames());
    missing.addAll(PassRegistry.passNames());
    missing.removeAll(have);
    assertTrue(missing.isEmpty(), "rules and passes without golden tests: " + missing);
  }

  @Test
  void missingAfterFailsAndIsNotWritten(@TempDir Path tmp) throws IOException {
    assumeFalse(UPDATE, "-Dconvoy.updateGoldens=true writes goldens by design");
    Path dir = Files.createDirectories(tmp.resolve("eliminate-identity"));
    Files.copy(GOLDEN.resolve("eliminate-identity/before.txt"), dir.resolve("before.txt"));
    AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> check(dir));
    assertTrue(e.getMessage().contains("after.txt is missing"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("after.txt")), "a test must not write its own golden");
  }

  static Stream<Path> folders() throws IOException {
    return Files.list(GOLDEN).filter(Files::isDirectory).sorted();
  }

  private static void check(Path dir) throws IOException {
    String name = dir.getFileName().toString();
    Graph before = GraphParser.parse(Files.readString(dir.resolve("before.txt")));
    Graph input = before.copy();
    OptimizeOptions options = options(dir);
    PassContext ctx = new PassContext(options, null);
    Pass pass = PassRegistry.isRule(name)
        ? new RuleSetPass(name, List.of(PassRegistry.rule(name)), 10_000)
        : PassRegistry.pass(name);
    int changes = pass.run(before, ctx);
    assertTrue(ctx.converged(), name + " did not settle: " + ctx.notes());
    assertTrue(changes > 0, name + " did not fire on " + dir.resolve("before.txt"));
    String actual = GraphPrinter.print(before);
    Path after = dir.resolve("after.txt");
    if (UPDATE) {
      Files.writeString(after, actual);
    }
    assertTrue(Files.exists(after), name + ": " + after + " is missing; review the result below and"
        + " write it with -Dconvoy.updateGoldens=true\n" + actual);
    assertEquals(Files.readString(after), actual, name + ": result differs from " + after
        + " (if the change is intended, rewrite it with -Dconvoy.updateGoldens=true and review"
        + " the diff)");
    assertKeptNodesSurvive(input, before, name);
    GoldenChecks.assertValid(before, name);
    if (!Files.exists(dir.resolve("no-numeric-check.txt"))) {
      GoldenChecks.assertSameOutputs(input, before, options, name);
    }
  }

  /** The folder's options, with its rule enabled (an opt-in rule fires only when enabled). */
  private static OptimizeOptions options(Path dir) throws IOException {
    OptimizeOptions o = withTarget(dir, shapeOptions(dir));
    return new OptimizeOptions(o.level(), Set.of(dir.getFileName().toString()), o.disabled(),
        o.pipelineFile(), o.inputShapes(), o.verifyEachPass(), o.foldSizeCapBytes(), o.target());
  }

  /** {@code target.txt} names the target a rule writes for: {@code cvy} or {@code ort}. */
  private static OptimizeOptions withTarget(Path dir, OptimizeOptions o) throws IOException {
    Path target = dir.resolve("target.txt");
    if (!Files.exists(target)) {
      return o;
    }
    return switch (Files.readString(target).strip()) {
      case "cvy" -> o.withTarget(Target.CVY);
      case "ort" -> o.withTarget(Target.STANDARD.withOrtOps(true));
      default -> throw new IllegalArgumentException(target + ": expected cvy or ort");
    };
  }

  private static OptimizeOptions shapeOptions(Path dir) throws IOException {
    Path shapes = dir.resolve("input-shapes.txt");
    OptimizeOptions o = OptimizeOptions.atLevel(Level.O1);
    if (!Files.exists(shapes)) {
      return o;
    }
    Map<String, long[]> m = new HashMap<>();
    for (String line : Files.readAllLines(shapes)) {
      if (!line.isBlank() && !line.startsWith("#")) {
        String[] kv = line.trim().split("=", 2);
        m.put(kv[0], Stream.of(kv[1].split("x")).mapToLong(Long::parseLong).toArray());
      }
    }
    return new OptimizeOptions(o.level(), Set.of(), Set.of(), null, m, false, o.foldSizeCapBytes());
  }

  private static void assertKeptNodesSurvive(Graph before, Graph after, String rule) {
    Set<String> kept = new HashSet<>();
    before.forEachNode(n -> {
      if (n.name().startsWith("keep")) {
        kept.add(n.name() + " " + n.opType());
      }
    });
    before.initializers().stream().filter(v -> v.name().startsWith("keep"))
        .forEach(v -> kept.add(v.name()));
    assertFalse(kept.isEmpty(),
        rule + ": before.txt needs a node or initializer named keep... where it must not fire");
    Set<String> left = new HashSet<>();
    after.forEachNode((Node n) -> left.add(n.name() + " " + n.opType()));
    after.initializers().forEach(v -> left.add(v.name()));
    kept.removeAll(left);
    assertTrue(kept.isEmpty(), rule + " removed or changed nodes it must leave: " + kept);
  }
}
