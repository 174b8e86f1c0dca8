package dev.convoy.pipeline.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.pipeline.Zoos;
import dev.convoy.transforms.optimize.Level;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ZooRunTest {
  @TempDir Path tmp;

  @Test
  void mixedZooWritesEveryGoodModelAndOneFailurePerBrokenFile() throws Exception {
    Path zoo = Zoos.mixed(tmp);
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    RunSummary s = ZooRun.run(RunConfig.of(zoo, tmp.resolve("out")).withRunId("mixed")
        .withLevel(Level.O0).withPartitionThreshold(100), new PrintStream(console, true));
    System.out.print(console);
    assertEquals(10, s.modelsTotal());
    assertEquals(4, s.modelsOk(), () -> "failures: " + String.join("\n", uncheckedQuery(s.warehouse(),
        "SELECT model || ' ' || stage || ' ' || message FROM read_parquet('%s/failures/*/*.parquet')")));
    assertEquals(6, s.modelsFailed());
    List<String> failed = query(s.warehouse(),
        "SELECT model || ':' || stage FROM read_parquet('%s/failures/*/*.parquet') ORDER BY 1");
    assertEquals(List.of("empty:convert", "notonnx:convert", "random:convert", "truncated:convert",
        "truncated_model:convert", "unknown_op:verify"), failed);
    List<String> models = query(s.warehouse(),
        "SELECT model FROM read_parquet('%s/models/*/*.parquet') ORDER BY 1");
    assertEquals(List.of(Zoos.GOOD), models);
    for (String artifact : query(s.warehouse(),
        "SELECT artifact FROM read_parquet('%s/models/*/*.parquet')")) {
      assertTrue(Files.isRegularFile(s.artifacts().resolve(artifact)), artifact);
    }
  }

  static List<String> uncheckedQuery(Path warehouse, String sql) {
    try {
      return query(warehouse, sql);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static List<String> query(Path warehouse, String sql) throws Exception {
    List<String> out = new ArrayList<>();
    try (var c = DriverManager.getConnection("jdbc:duckdb:");
        var rs = c.createStatement().executeQuery(sql.formatted(warehouse))) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }
}
