package dev.convoy.pipeline.warehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.pipeline.element.Artifact;
import dev.convoy.pipeline.element.Failure;
import dev.convoy.pipeline.element.GraphStats;
import dev.convoy.pipeline.element.MemoryPlanSummary;
import dev.convoy.pipeline.element.ModelRun;
import dev.convoy.pipeline.element.PassRow;
import dev.convoy.pipeline.element.Stage;
import dev.convoy.pipeline.element.Verification;
import dev.convoy.pipeline.stage.Stages;
import dev.convoy.pipeline.storage.Storage;
import dev.convoy.pipeline.zoo.ModelRef;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WriteWarehouseTest {
  @TempDir Path wh;
  @TempDir Path scratch;

  static ModelRun finished(String name) {
    ModelRef ref = new ModelRef(name, "/zoo/" + name + ".onnx", "onnx", List.of("cnn"),
        Map.of(), 1234);
    return ModelRun.converted(ref, "src", new GraphStats(10, Map.of("Conv", 4, "Relu", 6), 400), 5)
        .withGraph("opt", new GraphStats(8, Map.of("Conv", 4, "Relu", 4), 400), 2,
            List.of(new PassRow("fold", 0, 7, 5, 4, Map.of("fold-constants", 1)),
                new PassRow("fold", 1, 7, 5, 4, Map.of("fold-constants", 1)),
                new PassRow("cse", -1, 3, 8, 8, Map.of())))
        .withTime(Stage.OPTIMIZE, 14)
        .withVerification(new Verification("ort", 1e-7, 2e-6, 0.99999, true, ""))
        .withMemory(new MemoryPlanSummary(1024, 960, 4096, 6, 1, "hill-climb", 3, 2))
        .withArtifact(new Artifact("abc.cvy", "cvy", 777, name + ".report.json"));
  }

  private void write(String runId, List<ModelRun> models, List<Failure> failures) {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    PCollectionTuple.of(WriteWarehouse.MODELS,
            p.apply("models", Create.of(models).withCoder(Stages.RUN_CODER)))
        .and(WriteWarehouse.FAILURES,
            p.apply("failures", Create.of(failures).withCoder(Stages.FAILURE_CODER)))
        .apply(WriteWarehouse.to(Storage.of(wh), Storage.of(scratch), runId, "O2", "cvy"));
    p.run().waitUntilFinish();
  }

  @Test
  void everyTableGetsItsRowsUnderTheRunPartition() throws Exception {
    write("r1", List.of(finished("cnn")),
        List.of(new Failure("bad", "/zoo/bad.onnx", "convert", "InvalidModelException", "empty")));
    assertEquals(List.of("r1|cnn|10|8|2|777|true|14|5|19"), rows(
        "SELECT run_id, model, nodes_before, nodes_after, pieces, artifact_bytes, verified,"
            + " optimize_nanos, convert_nanos, total_nanos FROM %s", "models"));
    assertEquals(List.of("cnn|0|fold|0|1", "cnn|1|fold|1|1", "cnn|2|cse|-1|0"),
        rows("SELECT model, seq, pass, piece, rewrites FROM %s ORDER BY seq", "pass_stats"));
    assertEquals(List.of("cnn|O2|ort|true"),
        rows("SELECT model, level, oracle, passed FROM %s", "verifications"));
    assertEquals(List.of("cnn|1024|960|4096|1|hill-climb|3|2"), rows("SELECT model, arena_bytes,"
        + " lower_bound_bytes, naive_bytes, skipped_tensors, planner, in_place_tensors,"
        + " aliased_tensors FROM %s", "memory_plans"));
    assertEquals(List.of("r1|bad|convert|InvalidModelException|empty"),
        rows("SELECT run_id, model, stage, error_class, message FROM %s", "failures"));
  }

  @Test
  void writingTheSameRunAgainReplacesItsRows() throws Exception {
    write("r1", List.of(finished("a"), finished("b")), List.of());
    write("r2", List.of(finished("a")), List.of());
    write("r1", List.of(finished("a"), finished("b")), List.of());
    assertEquals(List.of("r1|a", "r1|b", "r2|a"),
        rows("SELECT run_id, model FROM %s ORDER BY ALL", "models"));
  }

  @Test
  void partitionsHoldOnlyTheirParquetFilesAfterTheRun() throws Exception {
    write("r1", List.of(finished("cnn")),
        List.of(new Failure("bad", "/zoo/bad.onnx", "convert", "InvalidModelException", "empty")));
    List<String> strays;
    try (Stream<Path> s = Files.walk(wh)) {
      strays = s.filter(p -> !p.equals(wh)).filter(p -> {
        int depth = wh.relativize(p).getNameCount();
        String name = p.getFileName().toString();
        return switch (depth) {
          case 1 -> !Files.isDirectory(p);
          case 2 -> !Files.isDirectory(p) || !name.equals("run_id=r1");
          case 3 -> !Files.isRegularFile(p) || !name.endsWith(".parquet");
          default -> true;
        };
      }).map(p -> wh.relativize(p).toString()).toList();
    }
    assertEquals(List.of(), strays);
  }

  private List<String> rows(String sql, String table) throws Exception {
    String src = "read_parquet('" + wh.resolve(table) + "/*/*.parquet', hive_partitioning = true)";
    List<String> out = new ArrayList<>();
    try (var c = DriverManager.getConnection("jdbc:duckdb:");
        var rs = c.createStatement().executeQuery(sql.formatted(src))) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<String> cols = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
          cols.add(rs.getString(i));
        }
        out.add(String.join("|", cols));
      }
    }
    return out;
  }
}
