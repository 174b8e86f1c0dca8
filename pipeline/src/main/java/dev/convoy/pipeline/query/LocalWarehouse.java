package dev.convoy.pipeline.query;

import dev.convoy.ir.ConvoyException;
import dev.convoy.pipeline.storage.Storage;
import dev.convoy.pipeline.warehouse.Tables;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A warehouse where DuckDB can read it: a local warehouse folder as it is; a warehouse on another
 * filesystem ({@code hdfs://}, any Beam scheme) as a local copy in this JVM's scratch folder of
 * what {@code report} or {@code compare} reads: the {@code runs} table and every table's
 * partitions of the runs asked for (the latest run when none is named). Nothing else is
 * downloaded, so a report on a warehouse of many runs costs the size of one run.
 */
public final class LocalWarehouse {
  private static final String PARQUET = ".parquet";

  private LocalWarehouse() {}

  /**
   * The local folder to query for runs {@code runIds} of the warehouse at {@code location} (a
   * local path or a URI); with no run ids, for its latest run. Throws {@link ConvoyException}
   * naming {@code location} when there is no warehouse there or a run is not in it.
   */
  public static Path of(String location, List<String> runIds) {
    var local = Storage.localPath(location);
    if (local.isPresent()) {
      if (!Files.isDirectory(local.get())) {
        throw new ConvoyException(location + ": no warehouse here (run ./convoy run first)");
      }
      return local.get();
    }
    String root = Storage.dir(location, "");
    Path copy;
    try {
      copy = Files.createTempDirectory(Storage.scratch(), "warehouse-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a local folder for " + location, e);
    }
    if (download(root, Tables.RUNS.table() + "/", copy) == 0 && runIds.isEmpty()) {
      throw new ConvoyException(location + ": no runs in a warehouse here (run `convoy run`"
          + " with --out there first)");
    }
    List<String> runs = new ArrayList<>(runIds);
    if (runs.isEmpty()) {
      try (WarehouseSql sql = new WarehouseSql(copy)) {
        runs.add(Report.latestRun(sql, copy));
      }
    }
    for (String run : runs) {
      int files = 0;
      for (Tables t : Tables.values()) {
        if (t != Tables.RUNS) {
          files += download(root, t.table() + "/run_id=" + run + "/", copy);
        }
      }
      if (files == 0 && !Files.isDirectory(copy.resolve(Tables.RUNS.table()).resolve(
          "run_id=" + run))) {
        throw new ConvoyException(location + ": no run '" + run + "' in the warehouse");
      }
    }
    return copy;
  }

  /** Copies the Parquet files under {@code root + folder} into {@code to}; returns how many. */
  private static int download(String root, String folder, Path to) {
    int n = 0;
    for (String file : Storage.list(Storage.dir(root, folder))) {
      if (!file.endsWith(PARQUET) || !file.startsWith(root)) {
        continue;
      }
      Path target = to.resolve(file.substring(root.length())).normalize();
      if (!target.startsWith(to)) {
        continue;
      }
      try (InputStream in = Storage.open(file)) {
        Files.createDirectories(target.getParent());
        Files.copy(in, target);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot copy " + file + " to this machine", e);
      }
      n++;
    }
    return n;
  }
}
