package dev.convoy.pipeline.run;

import static dev.convoy.pipeline.Warehouses.query;
import static dev.convoy.pipeline.Warehouses.rowsWithoutTimings;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.pipeline.Runs;
import dev.convoy.pipeline.Warehouses;
import dev.convoy.pipeline.Zoos;
import dev.convoy.pipeline.storage.MemoryFileSystem;
import dev.convoy.pipeline.storage.Storage;
import dev.convoy.pipeline.zoo.SynthZoo;
import dev.convoy.transforms.optimize.Level;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run whose {@code --out} is a non-local Beam filesystem ({@code mem://}, held in memory, so
 * every byte of it went through FileSystems) writes the same warehouse rows and artifacts as the
 * same run into a local folder, and commits through the filesystem's renames.
 */
class OtherFilesystemRunTest {
  private static final String OUT = "mem://convoy-test/out/";
  @TempDir static Path tmp;
  static RunSummary local;
  static RunSummary remote;
  static Path remoteCopy;

  @BeforeAll
  static void runTheMixedZooLocallyAndInMemory() throws Exception {
    Path zoo = Zoos.mixed(tmp);
    RunConfig cfg = RunConfig.of(zoo, tmp.resolve("local")).withRunId("same")
        .withLevel(Level.O3).withTarget("onnx").withPartitionThreshold(100).withLatencyRuns(1);
    local = Runs.direct(cfg);
    remote = Runs.direct(cfg.withOut(OUT));
    remoteCopy = tmp.resolve("copied");
    for (Map.Entry<String, byte[]> f : MemoryFileSystem.files(OUT).entrySet()) {
      Path to = remoteCopy.resolve(f.getKey().substring(OUT.length()));
      Files.createDirectories(to.getParent());
      Files.write(to, f.getValue());
    }
  }

  @Test
  void writesTheSameWarehouseRowsAsALocalRun() throws Exception {
    assertEquals(4, remote.modelsOk());
    assertEquals(local.modelsOk(), remote.modelsOk());
    assertEquals(local.modelsFailed(), remote.modelsFailed());
    for (String table : Warehouses.MODEL_TABLES) {
      assertEquals(rowsWithoutTimings(local.warehouse(), table),
          rowsWithoutTimings(remoteCopy.resolve("warehouse"), table), table);
    }
    assertEquals(List.of("10|4|6"), query(remoteCopy.resolve("warehouse"),
        "SELECT models_total || '|' || models_ok || '|' || models_failed"
            + " FROM read_parquet('%s/runs/*/*.parquet')"));
    assertEquals(List.of("4"), query(remoteCopy.resolve("warehouse"),
        "SELECT count(*) FROM read_parquet('%s/latencies/*/*.parquet')"));
  }

  @Test
  void writesTheSameArtifactsAndMirrorAsALocalRun() throws Exception {
    for (String dir : List.of("artifacts", "models")) {
      TreeSet<String> want = files(tmp.resolve("local").resolve(dir));
      assertEquals(want, files(remoteCopy.resolve(dir)), dir);
      for (String f : want.stream().filter(f -> !f.endsWith(".json")).toList()) {
        assertArrayEquals(Files.readAllBytes(tmp.resolve("local").resolve(dir).resolve(f)),
            Files.readAllBytes(remoteCopy.resolve(dir).resolve(f)), f);
      }
    }
    assertTrue(files(remoteCopy.resolve("artifacts")).stream().anyMatch(f -> f.endsWith(".onnx")));
  }

  @Test
  void commitLeavesNoStagingOrTempFilesBehind() {
    assertEquals(List.of(), MemoryFileSystem.files(OUT).keySet().stream()
        .filter(f -> f.contains("/" + RunStaging.STAGING + "/") || f.contains(".part-")
            || f.contains("temp-beam") || f.endsWith(".tmp"))
        .toList());
    assertFalse(Files.exists(Path.of("mem:")), "nothing written to a local folder named mem:");
  }

  @Test
  void manifestModelsOnAnotherFilesystemConvertAndVerifyLikeLocalOnes() throws Exception {
    String models = "mem://convoy-test/zoo/";
    for (String m : List.of("optest_conv_bn_relu", "small_cnn_qdq")) {
      try (OutputStream out = Storage.create(models + m + ".onnx")) {
        Files.copy(Zoos.bundled().resolve(m + ".onnx"), out);
      }
    }
    String rows = "conv,%soptest_conv_bn_relu.onnx\nqdq,%ssmall_cnn_qdq.onnx\n";
    Path remoteManifest = Files.writeString(tmp.resolve("remote.csv"),
        "name,path\n" + rows.formatted(models, models) + "missing," + models + "missing.onnx\n");
    Path bundled = Zoos.bundled();
    Path localManifest = Files.writeString(tmp.resolve("local.csv"),
        "name,path\n" + rows.formatted(bundled + "/", bundled + "/"));
    RunConfig cfg = RunConfig.of(remoteManifest, tmp.resolve("from-remote")).withRunId("m")
        .withLevel(Level.O2).withTarget("onnx").withLatencyRuns(0);
    RunSummary s = Runs.direct(cfg);
    RunSummary l = Runs.direct(RunConfig.of(localManifest, tmp.resolve("from-local"))
        .withRunId("m").withLevel(Level.O2).withTarget("onnx").withLatencyRuns(0));
    assertEquals(List.of("conv|true", "qdq|true"), query(s.warehouse(),
        "SELECT model || '|' || passed FROM read_parquet('%s/verifications/*/*.parquet')"
            + " ORDER BY 1"));
    assertEquals(List.of("missing|convert"), query(s.warehouse(),
        "SELECT model || '|' || stage FROM read_parquet('%s/failures/*/*.parquet')"));
    String artifacts = "SELECT model || '|' || artifact FROM read_parquet("
        + "'%s/models/*/*.parquet') ORDER BY 1";
    assertEquals(query(l.warehouse(), artifacts), query(s.warehouse(), artifacts));
  }

  @Test
  void aModelWithExternalDataOnAnotherFilesystemLoadsItsWeightsFromBesideIt() throws Exception {
    Path synth = tmp.resolve("synth");
    List<SynthZoo.Entry> zoo = SynthZoo.generate(40, 7, synth);
    List<String> external = zoo.stream().filter(SynthZoo.Entry::externalData)
        .map(SynthZoo.Entry::name).limit(2).toList();
    assertEquals(2, external.size());
    String models = "mem://convoy-test/external/nested/";
    StringBuilder remoteRows = new StringBuilder("name,path\n");
    StringBuilder localRows = new StringBuilder("name,path\n");
    for (String m : external) {
      for (String f : List.of(m + ".onnx", m + ".onnx.data")) {
        try (OutputStream out = Storage.create(models + f)) {
          Files.copy(synth.resolve(f), out);
        }
      }
      remoteRows.append(m).append(',').append(models).append(m).append(".onnx\n");
      localRows.append(m).append(',').append(synth.resolve(m + ".onnx")).append('\n');
    }
    RunConfig cfg = RunConfig.of(Files.writeString(tmp.resolve("external-remote.csv"), remoteRows),
        tmp.resolve("external-from-remote")).withRunId("x").withTarget("onnx").withLatencyRuns(1);
    RunSummary r = Runs.direct(cfg);
    RunSummary l = Runs.direct(RunConfig.of(Files.writeString(tmp.resolve("external-local.csv"),
        localRows), tmp.resolve("external-from-local")).withRunId("x").withTarget("onnx")
        .withLatencyRuns(1));
    assertEquals(2, r.modelsOk(), "both convert, verify against ONNX Runtime and are timed");
    assertEquals(0, r.modelsFailed());
    assertEquals(List.of("true", "true"), query(r.warehouse(),
        "SELECT passed FROM read_parquet('%s/verifications/*/*.parquet') ORDER BY model"));
    String artifacts = "SELECT model || '|' || artifact || '|' || source_bytes FROM read_parquet("
        + "'%s/models/*/*.parquet') ORDER BY 1";
    assertEquals(query(l.warehouse(), artifacts), query(r.warehouse(), artifacts));
  }

  @Test
  void aZooFolderOnAnotherFilesystemIsListedThereAndRunsLikeTheLocalFolder() throws Exception {
    Path zoo = tmp.resolve("zoo");
    String folder = "mem://convoy-test/folder-zoo/";
    try (var s = Files.walk(zoo)) {
      for (Path f : s.filter(Files::isRegularFile).toList()) {
        try (OutputStream out = Storage.create(folder + zoo.relativize(f))) {
          Files.copy(f, out);
        }
      }
    }
    RunSummary r = Runs.direct(RunConfig.of(folder, Storage.of(tmp.resolve("from-folder")))
        .withRunId("same").withLevel(Level.O3).withTarget("onnx").withPartitionThreshold(100)
        .withLatencyRuns(1));
    assertEquals(local.modelsTotal(), r.modelsTotal(), "the same files are models");
    assertEquals(local.modelsOk(), r.modelsOk());
    for (String table : Warehouses.MODEL_TABLES) {
      assertEquals(rowsWithoutTimings(local.warehouse(), table),
          rowsWithoutTimings(r.warehouse(), table).stream()
              .map(row -> row.replace(folder, zoo + "/")).toList(), table);
    }
    assertEquals(files(tmp.resolve("local/models")), files(tmp.resolve("from-folder/models")),
        "the zoo's tree is mirrored as from the local folder");
  }

  private static TreeSet<String> files(Path dir) throws Exception {
    TreeSet<String> out = new TreeSet<>();
    try (var s = Files.walk(dir)) {
      s.filter(Files::isRegularFile).forEach(f -> out.add(dir.relativize(f).toString()));
    }
    return out;
  }
}
