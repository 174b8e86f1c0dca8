package dev.convoy.pipeline.warehouse;

import dev.convoy.pipeline.warehouse.avro.RunRow;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.parquet.ParquetIO;
import org.apache.avro.generic.GenericRecord;

/**
 * Writes the one {@code runs} row of a run, after the pipeline finished (its end time and counts
 * are known only then). Uses the same Parquet sink as the pipeline, outside of it.
 */
public final class RunTable {
  private RunTable() {}

  public static void write(Path warehouse, String runId, RunRow row) {
    Path dir = Tables.RUNS.partition(warehouse, runId);
    Tables.deleteTree(dir);
    Path file = dir.resolve(Tables.FILE_PREFIX + "-00000-of-00001.parquet");
    try {
      Files.createDirectories(dir);
      FileIO.Sink<GenericRecord> sink = ParquetIO.sink(Tables.RUNS.schema());
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE)) {
        sink.open(ch);
        sink.write(row);
        sink.flush();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
