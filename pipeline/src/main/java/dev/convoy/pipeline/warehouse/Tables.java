package dev.convoy.pipeline.warehouse;

import dev.convoy.pipeline.storage.Storage;
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
import java.util.List;
import java.util.stream.Stream;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
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

  /** The partition folder of {@code runId} in this table, under warehouse location {@code warehouse}. */
  public String partition(String warehouse, String runId) {
    return Storage.dir(warehouse, table + "/run_id=" + runId);
  }

  /** The one Parquet file of {@code runId}'s partition (the pipeline writes a single shard). */
  public String partitionFile(String warehouse, String runId) {
    return Storage.file(partition(warehouse, runId), FILE_PREFIX + "-00000-of-00001.parquet");
  }

  /**
   * Replaces {@code runId}'s partition of this table with {@code rows}, written outside a pipeline
   * with the same Parquet sink the pipeline uses (for the {@code runs} row, and for tools and
   * tests that craft a warehouse).
   */
  public void writePartition(String warehouse, String runId, List<? extends GenericRecord> rows) {
    Storage.deleteTree(partition(warehouse, runId));
    String file = partitionFile(warehouse, runId);
    try {
      FileIO.Sink<GenericRecord> sink = ParquetIO.sink(schema);
      try (WritableByteChannel ch = Channels.newChannel(Storage.create(file))) {
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

  /** As {@link #writePartition(String, String, List)} into a local warehouse folder. */
  public void writePartition(Path warehouse, String runId, List<? extends GenericRecord> rows) {
    writePartition(Storage.of(warehouse), runId, rows);
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
