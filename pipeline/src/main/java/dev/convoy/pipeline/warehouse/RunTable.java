package dev.convoy.pipeline.warehouse;

import dev.convoy.pipeline.warehouse.avro.RunRow;
import java.util.List;

/**
 * Writes the one {@code runs} row of a run, after the pipeline finished (its end time and counts
 * are known only then).
 */
public final class RunTable {
  private RunTable() {}

  public static void write(String warehouse, String runId, RunRow row) {
    Tables.RUNS.writePartition(warehouse, runId, List.of(row));
  }
}
