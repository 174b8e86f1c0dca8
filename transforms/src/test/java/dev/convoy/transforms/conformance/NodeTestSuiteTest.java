package dev.convoy.transforms.conformance;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.testing.TestData;
import dev.convoy.transforms.conformance.ConformanceRunner.Status;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Runs the whole ONNX node-test suite through the evaluator. Fails when the pass count drops
 * below {@link #PASS_FLOOR} (raise it as coverage grows) or when any test fails: a wrong answer
 * is never acceptable, an op Convoy lacks is a skip. The per-test report goes to
 * {@code <build dir>/conformance.tsv}.
 */
class NodeTestSuiteTest {
  /** The pass count this suite must keep; raise it when more ops land. */
  static final int PASS_FLOOR = 1726;

  @Test
  void passCountStaysAboveFloor() {
    Path dir = TestData.nodeTests();
    var report = ConformanceRunner.run(dir, null);
    var summary = report.summary();
    report.writeTsv(buildDir().resolve("conformance.tsv"));
    Map<String, Integer> failuresByOp = new TreeMap<>();
    report.results().stream().filter(r -> r.status() == Status.FAILED)
        .forEach(r -> failuresByOp.merge(String.join("+", r.opTypes()), 1, Integer::sum));
    System.out.println("node tests: " + summary.line() + " (" + summary.total() + " total)");
    System.out.println("failed by op: " + failuresByOp);
    assertTrue(summary.passed() >= PASS_FLOOR,
        "pass count " + summary.passed() + " fell below the floor " + PASS_FLOOR);
    assertTrue(summary.failed() == 0, "node tests with wrong results: " + failuresByOp);
  }

  /** The module's build folder (parent of test-classes), whatever -Dconvoy.build names it. */
  private static Path buildDir() {
    try {
      return Path.of(NodeTestSuiteTest.class.getProtectionDomain().getCodeSource().getLocation()
          .toURI()).getParent();
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
