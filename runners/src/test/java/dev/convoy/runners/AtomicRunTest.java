package dev.convoy.runners;

import static dev.convoy.pipeline.Warehouses.query;
import static dev.convoy.pipeline.Warehouses.rowsWithoutTimings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.pipeline.Zoos;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs commit atomically: a run killed in the middle (the whole client JVM, SIGKILL) leaves the
 * warehouse and artifacts exactly as they were, and a later run with the same id replaces exactly
 * that run's rows, leaving other runs alone.
 */
class AtomicRunTest {
  private static final List<String> TABLES =
      List.of("runs", "models", "pass_stats", "verifications", "memory_plans", "failures");

  @TempDir Path tmp;

  @Test
  void killedRunLeavesNothingAndARerunReplacesExactlyThatRun() throws Exception {
    Path five = zoo("five", 1);
    Path big = zoo("big", 3);
    Path small = Files.createDirectories(tmp.resolve("small"));
    Files.copy(Zoos.bundled().resolve("optest_conv_bn_relu.onnx"), small.resolve("conv.onnx"));
    Path out = tmp.resolve("out");
    Path warehouse = out.resolve("warehouse");
    assertEquals(0, cli("run", five.toString(), "--out", out.toString(), "--run-id", "keep"));
    assertEquals(0, cli("run", five.toString(), "--out", out.toString(), "--run-id", "again"));
    Map<String, List<String>> before = everything(warehouse);
    List<String> artifactsBefore = listing(out.resolve("artifacts"));

    // The same id again, on other models, killed once its first artifact is staged.
    Process run = launch("run", big.toString(), "--out", out.toString(), "--run-id", "again",
        "--level", "O0", "--target", "onnx");
    Path staged = out.resolve(".staging/again/artifacts");
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (listing(staged).stream().noneMatch(f -> f.endsWith(".onnx"))) {
      assertTrue(run.isAlive(), "the run ended before it could be killed");
      assertTrue(System.nanoTime() < deadline, "no artifact staged within 2 minutes");
      Thread.sleep(20);
    }
    run.destroyForcibly().waitFor();

    assertEquals(before, everything(warehouse), "a killed run changes no row");
    assertEquals(artifactsBefore, listing(out.resolve("artifacts")), "nor any artifact");

    assertEquals(0, cli("run", small.toString(), "--out", out.toString(), "--run-id", "again",
        "--level", "O0"));
    Map<String, List<String>> after = everything(warehouse);
    for (String table : TABLES) {
      assertEquals(rowsOf(before.get(table), "keep"), rowsOf(after.get(table), "keep"), table);
    }
    assertEquals(List.of("again|conv"), query(warehouse, "SELECT run_id || '|' || model FROM "
        + "read_parquet('%s/models/*/*.parquet', hive_partitioning = true) WHERE run_id = 'again'"));
    assertEquals(List.of("1|1|0"), query(warehouse, "SELECT models_total || '|' || models_ok || "
        + "'|' || models_failed FROM read_parquet('%s/runs/*/*.parquet', hive_partitioning = true)"
        + " WHERE run_id = 'again'"));
    assertFalse(Files.exists(out.resolve(".staging")), "a committed run leaves no staging folder");
  }

  /** Every row of every table, with timings, keyed by table. */
  private static Map<String, List<String>> everything(Path warehouse) throws Exception {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (String table : TABLES) {
      List<String> rows = new ArrayList<>();
      if (Files.isDirectory(warehouse.resolve(table))) {
        rows.addAll(query(warehouse, "SELECT run_id || '|' || (t::VARCHAR) FROM read_parquet('%s/"
            + table + "/*/*.parquet', hive_partitioning = true) t ORDER BY 1"));
      }
      out.put(table, rows);
    }
    return out;
  }

  private static List<String> rowsOf(List<String> rows, String runId) {
    return rows.stream().filter(r -> r.startsWith(runId + "|")).toList();
  }

  private Path zoo(String name, int copies) throws IOException {
    Path zoo = Files.createDirectories(tmp.resolve(name));
    try (Stream<Path> models = Files.list(Zoos.bundled())) {
      for (Path m : models.filter(p -> p.toString().endsWith(".onnx")).toList()) {
        String stem = m.getFileName().toString().replace(".onnx", "");
        for (int i = 0; i < copies; i++) {
          Files.copy(m, zoo.resolve(stem + "_" + i + ".onnx"));
          Path shapes = Path.of(m + ".oracle.args");
          if (Files.exists(shapes)) {
            Files.copy(shapes, zoo.resolve(stem + "_" + i + ".onnx.oracle.args"));
          }
        }
      }
    }
    return zoo;
  }

  private static List<String> listing(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static int cli(String... args) {
    return CliTest.run(args).exit();
  }

  /** The CLI in a JVM of its own, on this test's classpath. */
  private Process launch(String... args) throws IOException {
    Path argfile = tmp.resolve("cp.args");
    Files.writeString(argfile, "-cp \"" + System.getProperty("java.class.path") + "\"\n");
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
        "@" + argfile, Main.class.getName()));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(tmp.resolve("killed-run.log").toFile()).start();
  }
}
