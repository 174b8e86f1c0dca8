package dev.convoy.pipeline.query;

import dev.convoy.ir.ConvoyException;
import dev.convoy.pipeline.warehouse.Tables;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;

/**
 * SQL over the warehouse with an in-process DuckDB: each table is {@code read_parquet} over its
 * partition folders, {@code run_id} coming from the folder names. A table with no files yet
 * reads as empty.
 */
final class WarehouseSql implements AutoCloseable {
  private final Path warehouse;
  private final Connection db;
  private final List<Tables> present;

  WarehouseSql(Path warehouse) {
    this.warehouse = warehouse.toAbsolutePath().normalize();
    if (!Files.isDirectory(this.warehouse)) {
      throw new ConvoyException(warehouse + ": no warehouse here (run `convoy run` first)");
    }
    this.present = Tables.present(this.warehouse);
    try {
      db = DriverManager.getConnection("jdbc:duckdb:");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot start DuckDB", e);
    }
  }

  /** A FROM-clause source for {@code t} (an empty relation when the table has no files). */
  String from(Tables t) {
    if (!present.contains(t)) {
      StringBuilder cols = new StringBuilder("NULL::VARCHAR AS run_id");
      for (Schema.Field f : t.schema().getFields()) {
        cols.append(", NULL::").append(sqlType(f.schema().getType())).append(" AS ").append(f.name());
      }
      return "(SELECT " + cols + " WHERE false)";
    }
    String glob = warehouse.resolve(t.table()).toString().replace("'", "''") + "/*/*.parquet";
    return "read_parquet('" + glob + "', hive_partitioning = true, union_by_name = true,"
        + " hive_types = {'run_id': VARCHAR})";
  }

  private static String sqlType(Schema.Type type) {
    return switch (type) {
      case INT -> "INTEGER";
      case LONG -> "BIGINT";
      case DOUBLE, FLOAT -> "DOUBLE";
      case BOOLEAN -> "BOOLEAN";
      default -> "VARCHAR";
    };
  }

  boolean has(Tables t) {
    return present.contains(t);
  }

  /** Rows of {@code sql} (with {@code ?} bound to {@code args}) as ordered column maps. */
  List<Map<String, Object>> query(String sql, Object... args) {
    try (PreparedStatement st = db.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        st.setObject(i + 1, args[i]);
      }
      List<Map<String, Object>> rows = new ArrayList<>();
      try (ResultSet rs = st.executeQuery()) {
        int n = rs.getMetaData().getColumnCount();
        while (rs.next()) {
          Map<String, Object> row = new LinkedHashMap<>();
          for (int c = 1; c <= n; c++) {
            row.put(rs.getMetaData().getColumnLabel(c), rs.getObject(c));
          }
          rows.add(row);
        }
      }
      return rows;
    } catch (SQLException e) {
      throw new IllegalStateException("warehouse query failed: " + e.getMessage() + "\n" + sql, e);
    }
  }

  @Override
  public void close() {
    try {
      db.close();
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
