package dev.convoy.pipeline.run;

import dev.convoy.pipeline.storage.Storage;
import dev.convoy.pipeline.warehouse.Tables;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Where a run writes until it commits: {@code OUT/.staging/<run id>/} holds the run's blobs,
 * {@code artifacts/}, {@code models/} and {@code warehouse/} while the pipeline runs, so a run that
 * dies (killed client, failed job) leaves nothing under {@code OUT/warehouse} or {@code
 * OUT/artifacts}, which is all that {@code report} and {@code compare} read. {@link #commit} then
 * moves the run into place with renames ({@link Storage#rename}: atomic per file on a local disk,
 * the filesystem's own rename elsewhere): artifacts first (content-addressed, so never in the way of
 * another run), then the zoo-tree mirror under {@code models/}, then the run's partition of every
 * table (one Parquet file each), and the {@code runs} row last: a run is listed only once all its
 * rows are in place. The previous rows of the same run id are removed just before, so a re-run
 * replaces exactly that run. {@code OUT} is a location of any Beam filesystem.
 */
final class RunStaging {
  static final String STAGING = ".staging";

  private final String out;
  private final String runId;
  private final String dir;

  private RunStaging(String out, String runId) {
    this.out = out;
    this.runId = runId;
    this.dir = Storage.dir(out, STAGING + "/" + runId);
  }

  /** A fresh staging folder for {@code runId} under {@code out} (a dead attempt's is discarded). */
  static RunStaging open(String out, String runId) {
    RunStaging s = new RunStaging(out, runId);
    Storage.deleteTree(s.dir);
    return s;
  }

  /** The staged output folder: {@code artifacts/}, {@code warehouse/}, {@code blobs/}, temp files. */
  String dir() {
    return dir;
  }

  String warehouse() {
    return Storage.dir(dir, "warehouse");
  }

  /** Moves the staged run into {@code OUT}, replacing that run id's rows, then drops staging. */
  void commit() {
    try {
      // Unfinished temp files (a restarted task's) stay behind; an ONNX artifact's external
      // data sidecar (named after its temp file, which its model refers to) moves along.
      moveFiles(Storage.dir(dir, "artifacts"), Storage.dir(out, "artifacts"), false);
      moveFiles(Storage.dir(dir, "models"), Storage.dir(out, "models"), true);
      String warehouse = Storage.dir(out, "warehouse");
      Storage.deleteTree(Tables.RUNS.partition(warehouse, runId));
      for (Tables t : Tables.values()) {
        if (t != Tables.RUNS) {
          movePartition(t, warehouse);
        }
      }
      movePartition(Tables.RUNS, warehouse);
      discard();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot commit run " + runId + " into " + out, e);
    }
  }

  /** Drops the staging folder (a failed run, or after the commit). */
  void discard() {
    Storage.deleteTree(dir);
    String parent = Storage.dir(out, STAGING);
    if (Storage.list(parent).isEmpty()) {
      // Another run staging beside this one keeps the parent (and a race just leaves it).
      Storage.localPath(parent).ifPresent(p -> p.toFile().delete());
    }
  }

  /** Renames every finished file under {@code from} to the same place under {@code to}. */
  private static void moveFiles(String from, String to, boolean nested) throws IOException {
    for (String f : Storage.list(from)) {
      String rel = f.substring(from.length());
      if (!rel.endsWith(".tmp") && !rel.contains(".part-") && (nested || !rel.contains("/"))) {
        Storage.rename(f, Storage.file(to, rel));
      }
    }
  }

  private void movePartition(Tables t, String warehouse) throws IOException {
    Storage.deleteTree(t.partition(warehouse, runId));
    List<String> staged = Storage.list(t.partition(warehouse(), runId)).stream()
        .filter(f -> f.endsWith(".parquet")).toList();
    for (String f : staged) {
      Storage.rename(f, Storage.file(t.partition(warehouse, runId), Storage.fileName(f)));
    }
  }
}
