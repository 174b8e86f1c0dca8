package dev.convoy.transforms.optimize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.nio.file.Files;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Rules and passes change a graph only through the editor ({@link Rewriter}): ir and transforms
 * are separate modules, so the IR's mutators stay public and this test reads the compiled classes
 * of the packages that hold rules and passes for calls to them anywhere else.
 */
class EditorOnlyMutationTest {
  /** The editor itself, and its nested and synthetic classes. */
  private static final Pattern EDITOR = Pattern.compile(
      "dev/convoy/transforms/optimize/Rewriter(\\$.*)?\\.class");

  /** Where rules and passes live: the optimizer and the memory planning pass. */
  private static final List<String> PASS_PACKAGES =
      List.of("dev/convoy/transforms/optimize/", "dev/convoy/transforms/memory/");

  @Test
  void rulesAndPassesCallNoIrMutatorOutsideTheEditor() throws IOException, URISyntaxException {
    Path classes = Path.of(Rewriter.class.getProtectionDomain().getCodeSource().getLocation()
        .toURI());
    Path optimize = classes.resolve("dev/convoy/transforms/optimize");
    List<String> found = new IrMutatorScan().scan(classes, EDITOR).stream()
        .filter(f -> PASS_PACKAGES.stream().anyMatch(f::startsWith)).toList();
    assertTrue(optimize.toFile().isDirectory(), "no compiled optimizer classes at " + optimize);
    assertTrue(found.isEmpty(), "IR mutators called outside Rewriter (add an editor method):\n"
        + String.join("\n", found));
  }

  @Test
  void theMutatorListComesFromTheIrTypes() {
    var m = new IrMutatorScan().mutators();
    for (String s : List.of("Node.setName", "Node.setInput", "Value.setType", "Value.rename",
        "Graph.addNodeBefore", "Graph.removeInitializer", "Value.replaceAllUsesWith")) {
      assertTrue(m.contains("dev/convoy/ir/graph/" + s), s + " missing from " + m);
    }
    assertTrue(m.stream().noneMatch(s -> s.endsWith(".uses") || s.endsWith(".setProducer")), m
        + " holds a query or a package-private method");
  }

  /** Calls the scan must find, one per line the test names. */
  static final class Offender {
    static void rename(Node n) {
      n.setName("x");
    }

    static void opset(Graph g) {
      g.opsets().put("", 17L);
    }

    static BiConsumer<Node, String> renamer() {
      return Node::setName;
    }

    static void byReference(List<Node> nodes) {
      nodes.forEach(n -> n.removeAttribute("axis"));
    }
  }

  @Test
  void findsCallsMapMutationsReferencesAndLambdasWithTheirLine() throws IOException {
    String name = "dev/convoy/transforms/optimize/EditorOnlyMutationTest.java";
    List<String> source = Files.readAllLines(Path.of("src/test/java", name));
    String at = name + ":";
    try (InputStream in = getClass().getResourceAsStream("EditorOnlyMutationTest$Offender.class")) {
      assertEquals(List.of(
          at + lineOf(source, "n.setName(\"x\")") + " calls Node.setName",
          at + lineOf(source, "put(\"\", 17L)") + " calls java.util.Map.put on Graph.opsets()",
          at + lineOf(source, "return Node::setName") + " calls Node.setName",
          at + lineOf(source, "n.removeAttribute(\"axis\")") + " calls Node.removeAttribute"),
          new IrMutatorScan().scan(in));
    }
  }

  private static int lineOf(List<String> source, String text) {
    for (int i = 0; i < source.size(); i++) {
      if (source.get(i).contains(text) && !source.get(i).contains("lineOf")) {
        return i + 1;
      }
    }
    throw new AssertionError(text + " not in the test's source");
  }
}
