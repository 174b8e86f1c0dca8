package dev.convoy.pipeline.run;

import static dev.convoy.pipeline.Warehouses.rowsWithoutTimings;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.pipeline.MiniHdfs;
import dev.convoy.pipeline.Runs;
import dev.convoy.pipeline.Warehouses;
import dev.convoy.pipeline.Zoos;
import dev.convoy.pipeline.query.LocalWarehouse;
import dev.convoy.pipeline.query.Report;
import dev.convoy.pipeline.storage.Storage;
import dev.convoy.pipeline.zoo.SynthZoo;
import dev.convoy.transforms.optimize.Level;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.io.hdfs.HadoopFileSystemOptions;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hdfs://} through Beam's Hadoop filesystem against a real HDFS (a NameNode and a DataNode
 * in this JVM, Hadoop's MiniDFSCluster): a run whose manifest names models on HDFS (one with
 * external data beside it) and whose {@code --out} is on HDFS writes the same warehouse rows and
 * artifacts as the same models run from and into local folders, and {@code report} reads it there;
 * a manifest that is itself on HDFS, naming models beside it by relative path and by URI, gives
 * the same rows as the local manifest that names them all by URI; a file rewritten in place on
 * HDFS is fetched again by a worker that holds a local copy of its first version.
 */
@Tag("cluster")
class HdfsRunTest {
  @TempDir static Path tmp;
  static MiniDFSCluster dfs;
  static String root;
  static Execution exec;
  static RunSummary local;
  static RunSummary remote;
  static RunSummary remoteManifest;
  static Path localZoo;

  @BeforeAll
  static void runTheSameModelsLocallyAndOnHdfs() throws Exception {
    dfs = MiniHdfs.start(tmp.resolve("dfs"));
    root = dfs.getURI() + "/convoy/";
    exec = Runs.direct(2);
    MiniHdfs.register(dfs, exec.options().as(HadoopFileSystemOptions.class));

    localZoo = Files.createDirectories(tmp.resolve("zoo"));
    List<String> files = new ArrayList<>();
    for (String m : List.of("optest_conv_bn_relu", "small_cnn_qdq")) {
      Files.copy(Zoos.bundled().resolve(m + ".onnx"), localZoo.resolve(m + ".onnx"));
      files.add(m + ".onnx");
    }
    Path synth = tmp.resolve("synth");
    String external = SynthZoo.generate(40, 7, synth).stream()
        .filter(SynthZoo.Entry::externalData).findFirst().orElseThrow().name();
    for (String f : List.of(external + ".onnx", external + ".onnx.data")) {
      Files.copy(synth.resolve(f), localZoo.resolve(f));
    }
    files.add(external + ".onnx");
    StringBuilder onHdfs = new StringBuilder("path\n");
    StringBuilder onDisk = new StringBuilder("path\n");
    try (var all = Files.list(localZoo)) {
      for (Path f : all.toList()) {
        try (OutputStream out = Storage.create(root + "zoo/" + f.getFileName())) {
          Files.copy(f, out);
        }
      }
    }
    for (String f : files) {
      onHdfs.append(root).append("zoo/").append(f).append('\n');
      onDisk.append(localZoo.resolve(f)).append('\n');
    }
    RunConfig cfg = RunConfig.of(Files.writeString(tmp.resolve("hdfs.csv"), onHdfs), root + "out/")
        .withRunId("same").withLevel(Level.O2).withTarget("onnx").withLatencyRuns(1);
    remote = ZooRun.run(cfg, exec, new PrintStream(OutputStream.nullOutputStream()));
    StringBuilder besideModels = new StringBuilder("path\n");
    for (int i = 0; i < files.size(); i++) {
      besideModels.append(i == 0 ? root + "zoo/" : "").append(files.get(i)).append('\n');
    }
    Storage.writeString(root + "zoo/models.csv", besideModels.toString());
    remoteManifest = ZooRun.run(RunConfig.of(root + "zoo/models.csv", root + "out-manifest/")
        .withRunId("same").withLevel(Level.O2).withTarget("onnx").withLatencyRuns(1), exec,
        new PrintStream(OutputStream.nullOutputStream()));
    local = ZooRun.run(RunConfig.of(Files.writeString(tmp.resolve("local.csv"), onDisk),
            tmp.resolve("local")).withRunId("same").withLevel(Level.O2).withTarget("onnx")
            .withLatencyRuns(1), exec, new PrintStream(OutputStream.nullOutputStream()));
  }

  @AfterAll
  static void stopHdfs() {
    if (dfs != null) {
      dfs.shutdown();
    }
  }

  @Test
  void writesTheSameWarehouseRowsAsALocalRun() throws Exception {
    assertEquals(3, remote.modelsOk());
    assertEquals(0, remote.modelsFailed());
    Path copy = LocalWarehouse.of(root + "out/warehouse/", List.of("same"));
    for (String table : Warehouses.MODEL_TABLES) {
      List<String> fromHdfs = rowsWithoutTimings(copy, table).stream()
          .map(r -> r.replace(root + "zoo/", localZoo + "/")).toList();
      assertEquals(rowsWithoutTimings(local.warehouse(), table), fromHdfs, table);
    }
  }

  @Test
  void aManifestOnHdfsGivesTheRowsOfALocalManifestNamingTheSameModels() throws Exception {
    assertEquals(3, remoteManifest.modelsOk());
    Path fromLocal = LocalWarehouse.of(root + "out/warehouse/", List.of("same"));
    Path fromHdfs = LocalWarehouse.of(root + "out-manifest/warehouse/", List.of("same"));
    for (String table : Warehouses.MODEL_TABLES) {
      assertEquals(rowsWithoutTimings(fromLocal, table), rowsWithoutTimings(fromHdfs, table),
          table);
    }
  }

  @Test
  void writesTheSameArtifactsAsALocalRun() throws Exception {
    Map<String, byte[]> onHdfs = new TreeMap<>();
    String artifacts = root + "out/artifacts/";
    for (String f : Storage.list(artifacts)) {
      if (!f.endsWith(".json")) {
        try (InputStream in = Storage.open(f)) {
          onHdfs.put(f.substring(artifacts.length()), in.readAllBytes());
        }
      }
    }
    Path dir = local.artifacts();
    Map<String, byte[]> onDisk = new TreeMap<>();
    try (var s = Files.walk(dir)) {
      for (Path f : s.filter(Files::isRegularFile).toList()) {
        if (!f.toString().endsWith(".json")) {
          onDisk.put(dir.relativize(f).toString(), Files.readAllBytes(f));
        }
      }
    }
    assertEquals(onDisk.keySet(), onHdfs.keySet());
    assertEquals(3, onDisk.size());
    onDisk.forEach((name, bytes) -> assertArrayEquals(bytes, onHdfs.get(name), name));
  }

  @Test
  void reportReadsTheRunFromHdfs() {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    Report.print(LocalWarehouse.of(root + "out/warehouse/", List.of()), null,
        new PrintWriter(new OutputStreamWriter(buf, StandardCharsets.UTF_8), true));
    String text = buf.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("run same") && text.contains("models: 3 ok, 0 failed"), text);
  }

  /**
   * A model rewritten in place on HDFS (same path, same size, other bytes) is fetched again by a
   * worker that already holds a local copy of its first version, and so is its external data.
   */
  @Test
  void aFileRewrittenInPlaceIsFetchedAgain() throws Exception {
    String model = root + "rewritten/model.onnx";
    String data = root + "rewritten/model.onnx.data";
    write(model, "first model");
    write(data, "first data");
    Path copy = Storage.localCopy(model, c -> List.of("model.onnx.data"));
    assertEquals("first model", Files.readString(copy));
    assertEquals("first data", Files.readString(copy.resolveSibling("model.onnx.data")));
    Thread.sleep(1100);
    write(data, "later data");
    copy = Storage.localCopy(model, c -> List.of("model.onnx.data"));
    assertEquals("later data", Files.readString(copy.resolveSibling("model.onnx.data")));
    write(model, "later model");
    copy = Storage.localCopy(model, c -> List.of("model.onnx.data"));
    assertEquals("later model", Files.readString(copy));
    assertEquals("later data", Files.readString(copy.resolveSibling("model.onnx.data")));
  }

  private static void write(String location, String text) throws Exception {
    try (OutputStream out = Storage.create(location)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }
}
