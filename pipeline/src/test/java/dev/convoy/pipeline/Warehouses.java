package dev.convoy.pipeline;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;

/** DuckDB queries over a run's warehouse, for tests that compare runs row by row. */
public final class Warehouses {
  /** The tables a model run writes (the {@code runs} row holds timings and the runner). */
  public static final List<String> MODEL_TABLES =
      List.of("models", "pass_stats", "verifications", "memory_plans", "failures");

  private Warehouses() {}

  /**
   * Every row of {@code table}, its columns joined with '|' and sorted, without the columns that
   * hold times ({@code *nanos}); empty when the table has no files (e.g. pass_stats at O0).
   */
  public static List<String> rowsWithoutTimings(Path warehouse, String table) throws Exception {
    if (!Files.isDirectory(warehouse.resolve(table))) {
      return List.of();
    }
    String src = "read_parquet('" + warehouse.resolve(table) + "/*/*.parquet')";
    List<String> cols = new ArrayList<>();
    try (var c = DriverManager.getConnection("jdbc:duckdb:");
        var rs = c.createStatement().executeQuery("DESCRIBE SELECT * FROM " + src)) {
      while (rs.next()) {
        String name = rs.getString(1);
        if (!name.endsWith("nanos")) {
          cols.add(name);
        }
      }
    }
    return query(warehouse, "SELECT concat_ws('|', " + String.join(", ", cols) + ") FROM " + src
        + " ORDER BY 1");
  }

  /** The first column of {@code sql}'s rows, with {@code %s} standing for the warehouse folder. */
  public static List<String> query(Path warehouse, String sql) throws Exception {
    List<String> out = new ArrayList<>();
    try (var c = DriverManager.getConnection("jdbc:duckdb:");
        var rs = c.createStatement().executeQuery(sql.replace("%s", warehouse.toString()))) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }
}
