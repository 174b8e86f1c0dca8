package dev.convoy.pipeline.run;

import dev.convoy.pipeline.warehouse.Tables;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

/**
 * Where a run writes until it commits: {@code OUT/.staging/<run id>/} holds the run's blobs,
 * {@code artifacts/}, {@code models/} and {@code warehouse/} while the pipeline runs, so a run that dies (killed
 * client, failed job) leaves nothing under {@code OUT/warehouse} or {@code OUT/artifacts}, which
 * is all that {@code report} and {@code compare} read. {@link #commit} then moves the run into
 * place with renames: artifacts first (content-addressed, so never in the way of another run),
 * then the zoo-tree mirror under {@code models/} file by file, then the run's partition of every table, and the {@code runs} row last: a run is listed only
 * once all its rows are in place. The previous rows of the same run id are removed just before,
 * so a re-run replaces exactly that run.
 */
final class RunStaging {
  static final String STAGING = ".staging";

  private final Path out;
  private final String runId;
  private final Path dir;

  private RunStaging(Path out, String runId) {
    this.out = out;
    this.runId = runId;
    this.dir = out.resolve(STAGING).resolve(runId);
  }

  /** A fresh staging folder for {@code runId} under {@code out} (a dead attempt's is discarded). */
  static RunStaging open(Path out, String runId) {
    RunStaging s = new RunStaging(out.toAbsolutePath(), runId);
    Tables.deleteTree(s.dir);
    return s;
  }

  /** The staged output folder: {@code artifacts/}, {@code warehouse/}, {@code blobs/}, the job jar. */
  Path dir() {
    return dir;
  }

  Path warehouse() {
    return dir.resolve("warehouse");
  }

  /** Moves the staged run into {@code OUT}, replacing that run id's rows, then drops staging. */
  void commit() {
    try {
      Path artifacts = Files.createDirectories(out.resolve("artifacts"));
      Path staged = dir.resolve("artifacts");
      if (Files.isDirectory(staged)) {
        try (Stream<Path> files = Files.list(staged)) {
          // Unfinished temp files (a restarted task's) stay behind; an ONNX artifact's external
          // data sidecar (named after its temp file, which its model refers to) moves along.
          for (Path f : files.filter(f -> !f.getFileName().toString().endsWith(".tmp")).toList()) {
            move(f, artifacts.resolve(f.getFileName().toString()));
          }
        }
      }
      Path mirror = dir.resolve("models");
      if (Files.isDirectory(mirror)) {
        // The zoo-tree mirror: each model and report into the same place under OUT/models.
        try (Stream<Path> files = Files.walk(mirror)) {
          for (Path f : files.filter(Files::isRegularFile)
              .filter(f -> !f.getFileName().toString().endsWith(".tmp")).toList()) {
            Path to = out.resolve("models").resolve(mirror.relativize(f).toString());
            Files.createDirectories(to.getParent());
            move(f, to);
          }
        }
      }
      Path warehouse = out.resolve("warehouse");
      Tables.deleteTree(Tables.RUNS.partition(warehouse, runId));
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
    Tables.deleteTree(dir);
    Path parent = dir.getParent();
    try (Stream<Path> left = Files.isDirectory(parent) ? Files.list(parent) : Stream.empty()) {
      if (left.findAny().isEmpty()) {
        Files.deleteIfExists(parent);
      }
    } catch (IOException e) {
      // Another run is staging beside this one; its folder keeps the parent.
    }
  }

  private void movePartition(Tables t, Path warehouse) throws IOException {
    Path target = t.partition(warehouse, runId);
    Tables.deleteTree(target);
    Path staged = t.partition(warehouse(), runId);
    if (Files.isDirectory(staged) && hasParquet(staged)) {
      Files.createDirectories(target.getParent());
      Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
    }
  }

  private static boolean hasParquet(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.anyMatch(p -> p.getFileName().toString().endsWith(".parquet"));
    }
  }

  /** Renames {@code from} to {@code to}, replacing it (an equal artifact or an older report). */
  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
