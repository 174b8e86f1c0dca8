package dev.convoy.transforms.differential;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.convoy.transforms.testing.OrtFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Differential test of the optimizer on generated models ({@link ModelGenerator}): each model,
 * optimized at O1, O2 and O3 for the ONNX target (opset kept and the newest ONNX Runtime loads),
 * ONNX Runtime's ops and {@code .cvy}, must load and compute what ONNX Runtime computes on the
 * original ({@link DifferentialCheck}). The untagged factory runs a fast fixed subset of seeds;
 * the {@code large} one runs {@code -Dconvoy.diff.seeds=N} models (default 300) from seed {@code
 * -Dconvoy.diff.from=S} (default 1000), or exactly the seeds {@code -Dconvoy.diff.list=S1,S2,...}
 * when given (to rerun findings), so more seeds can be explored without a code change.
 */
class DifferentialTest {
  @RegisterExtension static final OrtFixture ORT = new OrtFixture();

  @TempDir static Path dir;

  private static final int FAST_MODELS = 40;

  /** Rule name to the number of models it rewrote (at any level or target), for the summary. */
  private static final Map<String, Integer> FIRED = new ConcurrentSkipListMap<>();

  @AfterAll
  static void printCoverage() {
    System.out.println("differential: rules fired (models): " + FIRED);
    DifferentialCheck.PRECISION.stream().sorted()
        .forEach(p -> System.out.println("PRECISION-DRIFT " + p));
  }

  @TestFactory
  Stream<DynamicTest> generatedModelsKeepOutputsAtEveryLevelAndTarget() {
    return seeds(1, FAST_MODELS);
  }

  @Tag("large")
  @TestFactory
  Stream<DynamicTest> moreGeneratedModelsKeepOutputs() {
    String list = System.getProperty("convoy.diff.list", "");
    if (!list.isBlank()) {
      return Stream.of(list.split(",")).map(String::trim).map(Long::parseLong)
          .map(DifferentialTest::test);
    }
    long from = Long.getLong("convoy.diff.from", 1000);
    int n = Integer.getInteger("convoy.diff.seeds", 300);
    return seeds(from, n);
  }

  private static Stream<DynamicTest> seeds(long from, int n) {
    return LongStream.range(from, from + n).mapToObj(DifferentialTest::test);
  }

  private static DynamicTest test(long seed) {
    ModelGenerator.Generated gen = ModelGenerator.generate(seed);
    return DynamicTest.dynamicTest(gen.name(), () -> check(gen));
  }

  private static void check(ModelGenerator.Generated gen) throws IOException {
    Path scratch = Files.createDirectories(dir.resolve(gen.name()));
    DifferentialCheck.Outcome o = new DifferentialCheck(ORT.verifier(), scratch).check(gen);
    o.rulesFired().forEach(r -> FIRED.merge(r, 1, Integer::sum));
    assumeTrue(o.skipped() == null, gen.name() + " skipped: " + o.skipped());
    if (!o.findings().isEmpty()) {
      System.out.println("=== " + gen.name() + "\n" + gen.text());
      o.findings().forEach(f -> System.out.println("FINDING " + f));
    }
    assertTrue(o.findings().isEmpty(), () -> gen.name() + ": " + o.findings().size()
        + " findings, first: " + o.findings().get(0) + "\n" + gen.text());
  }
}
