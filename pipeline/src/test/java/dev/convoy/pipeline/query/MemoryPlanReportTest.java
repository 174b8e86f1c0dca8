package dev.convoy.pipeline.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.pipeline.warehouse.Tables;
import dev.convoy.pipeline.warehouse.avro.MemoryPlanRow;
import dev.convoy.pipeline.warehouse.avro.RunRow;
import java.io.ByteArrayOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code memory_plans} rows carry LOAD, arena, planner and the in-place and alias counts as
 * DuckDB reads them from Parquet, and {@code convoy report} shows them per model.
 */
class MemoryPlanReportTest {
  @TempDir Path wh;

  @BeforeEach
  void craft() {
    Tables.RUNS.writePartition(wh, "r1", List.of(RunRow.newBuilder().setStartedAtMs(1000)
        .setEndedAtMs(1500).setZoo("/zoo").setLevel("O3").setTarget("cvy").setRunner("direct")
        .setParallelism(1).setConfig("{}").setGitRevision("abc").setModelsTotal(2)
        .setModelsOk(2).setModelsFailed(0).build()));
    Tables.MEMORY_PLANS.writePartition(wh, "r1", List.of(
        plan("cnn", 1_050_000, 1_000_000, "greedy-by-size", 7, 2),
        plan("rnn", 4096, 4096, "in-order-best-fit", 0, 5)));
  }

  private static MemoryPlanRow plan(String model, long arena, long load, String planner,
      int inPlace, int aliased) {
    return MemoryPlanRow.newBuilder().setModel(model).setArenaBytes(arena)
        .setLowerBoundBytes(load).setNaiveBytes(3 * arena).setPlannedTensors(40)
        .setSkippedTensors(1).setPlanner(planner).setInPlaceTensors(inPlace)
        .setAliasedTensors(aliased).build();
  }

  @Test
  void duckDbReadsLoadArenaPlannerAndInPlaceCountOfEachPlan() {
    try (WarehouseSql sql = new WarehouseSql(wh)) {
      List<Map<String, Object>> rows = sql.query("SELECT model, lower_bound_bytes, arena_bytes,"
          + " planner, in_place_tensors, aliased_tensors FROM " + sql.from(Tables.MEMORY_PLANS)
          + " WHERE run_id = ? AND arena_bytes > lower_bound_bytes", "r1");
      assertEquals(1, rows.size(), rows.toString());
      Map<String, Object> cnn = rows.get(0);
      assertEquals("cnn", cnn.get("model"));
      assertEquals(1_000_000L, ((Number) cnn.get("lower_bound_bytes")).longValue());
      assertEquals(1_050_000L, ((Number) cnn.get("arena_bytes")).longValue());
      assertEquals("greedy-by-size", cnn.get("planner"));
      assertEquals(7, ((Number) cnn.get("in_place_tensors")).intValue());
      assertEquals(2, ((Number) cnn.get("aliased_tensors")).intValue());
    }
  }

  @Test
  void reportShowsLoadArenaRatioPlannerAndInPlaceCountPerModel() {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    assertEquals(0, Report.print(wh, "r1", new PrintWriter(new OutputStreamWriter(buf, StandardCharsets.UTF_8), true)));
    String text = buf.toString(StandardCharsets.UTF_8);
    String cnn = text.lines().filter(l -> l.trim().startsWith("cnn")).findFirst().orElse("");
    assertTrue(cnn.matches("\\s*cnn\\s+1000000\\s+1050000\\s+1\\.050\\s+greedy-by-size\\s+7\\s+2"
        + "\\s+3150000\\s+1\\s*"), text);
    String rnn = text.lines().filter(l -> l.trim().startsWith("rnn")).findFirst().orElse("");
    assertTrue(rnn.matches("\\s*rnn\\s+4096\\s+4096\\s+1\\.000\\s+in-order-best-fit\\s+0\\s+5"
        + "\\s+12288\\s+1\\s*"), text);
  }
}
