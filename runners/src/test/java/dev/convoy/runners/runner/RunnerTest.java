package dev.convoy.runners.runner;

import static dev.convoy.pipeline.Warehouses.query;
import static dev.convoy.pipeline.Warehouses.rowsWithoutTimings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.ConvoyException;
import dev.convoy.pipeline.Warehouses;
import dev.convoy.pipeline.Zoos;
import dev.convoy.pipeline.run.RunConfig;
import dev.convoy.pipeline.run.RunSummary;
import dev.convoy.pipeline.run.ZooRun;
import dev.convoy.transforms.optimize.Level;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner choice: flags to runners, their options, and the same rows from each runner. */
class RunnerTest {
  @TempDir Path tmp;

  @Test
  void runnerFlagAndFlinkMasterPickTheRunner() {
    assertEquals(Runner.DIRECT, Runner.named("direct", null));
    assertEquals(Runner.FLINK_EMBEDDED, Runner.named("flink", null));
    assertEquals(Runner.FLINK_CLUSTER, Runner.named("flink", "localhost:8081"));
    assertEquals(Runner.FLINK_CLUSTER, Runner.named("direct", "localhost:8081"));
    ConvoyException e = assertThrows(ConvoyException.class, () -> Runner.named("spark", null));
    assertTrue(e.getMessage().contains("unknown runner 'spark'"), e.getMessage());
  }

  @Test
  void optionsNameTheRunnerClassAndWorkers() {
    var direct = Runner.DIRECT.execution(null, 3, "r1");
    assertEquals(DirectRunner.class, direct.options().getRunner());
    assertEquals("direct", direct.runner());
    assertEquals(3, direct.parallelism());
    var flink = Runner.FLINK_EMBEDDED.execution(null, 2, "R1");
    FlinkPipelineOptions o = flink.options().as(FlinkPipelineOptions.class);
    assertEquals(FlinkRunner.class, o.getRunner());
    assertEquals("[local]", o.getFlinkMaster());
    assertEquals(2, o.getParallelism());
    assertEquals("convoy-r1", o.getJobName());
    assertThrows(IllegalArgumentException.class,
        () -> Runner.FLINK_EMBEDDED.execution("localhost:1", 2, "r"));
  }

  @Test
  void embeddedFlinkWritesTheSameRowsAsDirect() throws Exception {
    Path zoo = Zoos.mixed(tmp);
    PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
    RunConfig cfg = RunConfig.of(zoo, tmp.resolve("direct")).withRunId("mixed")
        .withLevel(Level.O3).withPartitionThreshold(100);
    RunSummary direct = ZooRun.run(cfg, Runner.DIRECT.execution(null, 2, "mixed"), quiet);
    RunSummary flink = ZooRun.run(cfg.withOut(tmp.resolve("flink")),
        Runner.FLINK_EMBEDDED.execution(null, 2, "mixed"), quiet);
    assertEquals(4, direct.modelsOk());
    assertEquals(direct.modelsOk(), flink.modelsOk());
    for (String table : Warehouses.MODEL_TABLES) {
      assertEquals(rowsWithoutTimings(direct.warehouse(), table),
          rowsWithoutTimings(flink.warehouse(), table), table);
    }
    assertEquals(List.of("flink|2"), query(flink.warehouse(),
        "SELECT runner || '|' || parallelism FROM read_parquet('%s/runs/*/*.parquet')"));
  }
}
