package dev.convoy.pipeline.warehouse;

import dev.convoy.pipeline.warehouse.avro.FailureRow;
import dev.convoy.pipeline.warehouse.avro.LatencyRow;
import dev.convoy.pipeline.warehouse.avro.MemoryPlanRow;
import dev.convoy.pipeline.warehouse.avro.ModelRow;
import dev.convoy.pipeline.warehouse.avro.PassStatRow;
import dev.convoy.pipeline.warehouse.avro.RuleStatRow;
import dev.convoy.pipeline.warehouse.avro.RunRow;
import dev.convoy.pipeline.warehouse.avro.VerificationRow;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.parquet.ParquetIO;

/**
 * The warehouse layout: one folder per table, one Hive partition per run ({@code
 * <table>/run_id=<id>/part-00000-of-00001.parquet}). The {@code run_id} column comes from the
 * partition folder, not from the files, so a query reads it with {@code hive_partitioning}.
 */
public enum Tables {
  RUNS("runs", RunRow.getClassSchema()),
  MODELS("models", ModelRow.getClassSchema()),
  PASS_STATS("pass_stats", PassStatRow.getClassSchema()),
  VERIFICATIONS("verifications", VerificationRow.getClassSchema()),
  MEMORY_PLANS("memory_plans", MemoryPlanRow.getClassSchema()),
  FAILURES("failures", FailureRow.getClassSchema()),
  LATENCIES("latencies", LatencyRow.getClassSchema()),
  RULE_STATS("rule_stats", RuleStatRow.getClassSchema());

  /** File-name prefix of every Parquet file; with one shard the name is fixed. */
  static final String FILE_PREFIX = "part";

  private final String table;
  private final Schema schema;

  Tables(String table, Schema schema) {
    this.table = table;
    this.schema = schema;
  }

  public String table() {
    return table;
  }

  public Schema schema() {
    return schema;
  }

  /** The partition folder of {@code runId} in this table. */
  public Path partition(Path warehouse, String runId) {
    return warehouse.resolve(table).resolve("run_id=" + runId);
  }

  /**
   * Replaces {@code runId}'s partition of this table with {@code rows}, written outside a pipeline
   * with the same Parquet sink the pipeline uses (for the {@code runs} row, and for tools and
   * tests that craft a warehouse).
   */
  public void writePartition(Path warehouse, String runId, List<? extends GenericRecord> rows) {
    Path dir = partition(warehouse, runId);
    deleteTree(dir);
    Path file = dir.resolve(FILE_PREFIX + "-00000-of-00001.parquet");
    try {
      Files.createDirectories(dir);
      FileIO.Sink<GenericRecord> sink = ParquetIO.sink(schema);
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE)) {
        sink.open(ch);
        for (GenericRecord r : rows) {
          sink.write(r);
        }
        sink.flush();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** Deletes {@code dir} and everything under it, if it exists. */
  public static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The tables that have at least one Parquet file under {@code warehouse}. */
  public static List<Tables> present(Path warehouse) {
    return Stream.of(values()).filter(t -> hasFiles(warehouse.resolve(t.table))).toList();
  }

  private static boolean hasFiles(Path dir) {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> s = Files.walk(dir, 2)) {
      return s.anyMatch(p -> p.getFileName().toString().endsWith(".parquet"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
