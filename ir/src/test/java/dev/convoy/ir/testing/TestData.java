package dev.convoy.ir.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Finds the shared test data ({@code ../shared/testdata} beside the checkout, or {@code
 * $CONVOY_TESTDATA}). A test that needs it and does not find it is skipped with a message saying
 * so, never passed.
 */
public final class TestData {
  private TestData() {}

  /** The test-data root, or {@code null} when it is absent. */
  public static Path rootOrNull() {
    String env = System.getenv("CONVOY_TESTDATA");
    List<Path> candidates = new ArrayList<>();
    if (env != null && !env.isBlank()) {
      candidates.add(Paths.get(env));
    }
    String prop = System.getProperty("convoy.testdata");
    if (prop != null && !prop.isBlank()) {
      candidates.add(Paths.get(prop));
    }
    Path here = Paths.get("").toAbsolutePath();
    for (Path p = here; p != null; p = p.getParent()) {
      candidates.add(p.resolve("../shared/testdata"));
    }
    for (Path c : candidates) {
      if (Files.isDirectory(c.resolve("models")) || Files.isDirectory(c.resolve("onnx-node-tests"))) {
        return c.normalize();
      }
    }
    return null;
  }

  /** The test-data root; skips the calling test when it is absent. */
  public static Path root() {
    Path r = rootOrNull();
    assumeTrue(
        r != null,
        "shared test data not found (looked for ../shared/testdata and $CONVOY_TESTDATA): skipped");
    return r;
  }

  /** {@code models/onnx}: the dev set of real models. */
  public static Path devModels() {
    return require(root().resolve("models/onnx"));
  }

  /** {@code models/broken}: files that must be rejected. */
  public static Path brokenModels() {
    return require(root().resolve("models/broken"));
  }

  /** {@code onnx-node-tests}: the ONNX backend node tests. */
  public static Path nodeTests() {
    return require(root().resolve("onnx-node-tests"));
  }

  /** Every {@code *.onnx} in the dev set, sorted by name. */
  public static List<Path> devModelFiles() {
    return list(devModels(), "glob:*.onnx");
  }

  /** Every node-test folder (each holding {@code model.onnx}), sorted by name. */
  public static List<Path> nodeTestDirs() {
    try (Stream<Path> s = Files.list(nodeTests())) {
      return s.filter(p -> Files.isRegularFile(p.resolve("model.onnx"))).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<Path> list(Path dir, String glob) {
    var matcher = dir.getFileSystem().getPathMatcher(glob);
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> matcher.matches(p.getFileName())).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path require(Path p) {
    assumeTrue(Files.isDirectory(p), p + " not found: skipped");
    return p;
  }
}
