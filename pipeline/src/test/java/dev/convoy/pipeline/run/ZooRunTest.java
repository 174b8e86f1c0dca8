package dev.convoy.pipeline.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static dev.convoy.pipeline.Warehouses.query;

import dev.convoy.ir.testing.TestData;
import dev.convoy.pipeline.Runs;
import dev.convoy.pipeline.Zoos;
import dev.convoy.transforms.optimize.Level;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole runs: the mixed zoo (4 good models, one of them partitioned, and 6 broken files) on the
 * Direct runner, and re-runs under the same id (embedded Flink: the runners module's RunnerTest).
 */
class ZooRunTest {
  @TempDir static Path tmp;
  static Path zoo;
  static RunSummary direct;
  static String directConsole;

  static RunConfig mixed(String out) {
    return RunConfig.of(zoo, tmp.resolve(out)).withRunId("mixed").withLevel(Level.O3)
        .withPartitionThreshold(100);
  }

  @BeforeAll
  static void runMixedZooOnDirect() throws Exception {
    zoo = Zoos.mixed(tmp);
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    direct = Runs.direct(mixed("direct"), new PrintStream(console, true));
    directConsole = console.toString();
  }

  @Test
  void mixedZooWritesEveryGoodModelAndOneFailurePerBrokenFile() throws Exception {
    assertEquals(10, direct.modelsTotal());
    assertEquals(4, direct.modelsOk(), () -> String.join("\n", uncheckedQuery(direct.warehouse(),
        "SELECT model || ' ' || stage || ' ' || message FROM read_parquet('%s/failures/*/*.parquet')")));
    assertEquals(6, direct.modelsFailed());
    List<String> failures = query(direct.warehouse(),
        "SELECT model || ':' || stage FROM read_parquet('%s/failures/*/*.parquet') ORDER BY 1");
    // com.example::FrobnicateX is in a domain Convoy does not know: refused on import.
    assertEquals(List.of("empty:convert", "notonnx:convert", "random:convert", "truncated:convert",
        "truncated_model:convert", "unknown_op:convert"), failures);
    assertEquals(List.of(Zoos.GOOD), query(direct.warehouse(),
        "SELECT model FROM read_parquet('%s/models/*/*.parquet') ORDER BY 1"));
    assertEquals(List.of("light_inception_v1:3"), query(direct.warehouse(),
        "SELECT model || ':' || pieces FROM read_parquet('%s/models/*/*.parquet') WHERE pieces > 1"));
    assertEquals(List.of("4"), query(direct.warehouse(),
        "SELECT count(*) FROM read_parquet('%s/memory_plans/*/*.parquet')"
            + " WHERE lower_bound_bytes <= arena_bytes AND arena_bytes <= naive_bytes"));
    assertEquals(List.of("true"), query(direct.warehouse(),
        "SELECT bool_and(passed) FROM read_parquet('%s/verifications/*/*.parquet')"));
    for (String artifact : query(direct.warehouse(),
        "SELECT artifact FROM read_parquet('%s/models/*/*.parquet')")) {
      assertTrue(artifact.endsWith(".cvy") && Files.isRegularFile(direct.artifacts().resolve(artifact)),
          artifact);
    }
    for (String good : Zoos.GOOD) {
      assertTrue(Files.isRegularFile(direct.artifacts().resolve(good + ".report.json")), good);
    }
    assertEquals(List.of("10|4|6"), query(direct.warehouse(),
        "SELECT models_total || '|' || models_ok || '|' || models_failed"
            + " FROM read_parquet('%s/runs/*/*.parquet')"));
  }

  @Test
  void consoleShowsEachModelWithTotalsFailuresAndElapsedTime() {
    assertTrue(directConsole.contains("convoy run mixed: 10 models"), directConsole);
    assertTrue(directConsole.matches("(?s).*\\[10/10\\] .*\\(failures 6, \\d\\d:\\d\\d elapsed\\).*"),
        directConsole);
    assertTrue(directConsole.contains("FAILED unknown_op"), directConsole);
    assertTrue(directConsole.contains("4 ok, 6 failed of 10"), directConsole);
  }

  @Test
  void committedRunLeavesNoTempFoldersInTheWarehouse() throws Exception {
    try (Stream<Path> s = Files.walk(direct.warehouse())) {
      assertEquals(List.of(), s.filter(p -> p.getFileName().toString().startsWith("."))
          .map(Path::toString).toList());
    }
  }

  @Test
  void rerunWithTheSameRunIdReplacesItsRows() throws Exception {
    Path small = Files.createDirectories(tmp.resolve("small"));
    Files.copy(Zoos.bundled().resolve("optest_conv_bn_relu.onnx"), small.resolve("conv.onnx"));
    Files.copy(TestData.brokenModels().resolve("empty.onnx"), small.resolve("empty.onnx"));
    RunConfig cfg = RunConfig.of(small, tmp.resolve("rerun")).withRunId("again")
        .withLevel(Level.O0);
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true);
    Runs.direct(cfg, quiet);
    RunSummary second = Runs.direct(cfg, quiet);
    for (String table : List.of("runs", "models", "verifications", "failures")) {
      assertEquals(List.of("again|1"), query(second.warehouse(), "SELECT run_id || '|' || count(*)"
          + " FROM read_parquet('%s/" + table + "/*/*.parquet', hive_partitioning = true)"
          + " GROUP BY run_id"), table);
    }
  }

  static List<String> uncheckedQuery(Path warehouse, String sql) {
    try {
      return query(warehouse, sql);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
