package dev.convoy.runners.cluster;

import static dev.convoy.pipeline.Warehouses.query;
import static dev.convoy.pipeline.Warehouses.rowsWithoutTimings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.testing.TestData;
import dev.convoy.pipeline.Warehouses;
import dev.convoy.pipeline.Zoos;
import dev.convoy.pipeline.run.Execution;
import dev.convoy.pipeline.run.RunConfig;
import dev.convoy.runners.runner.Runner;
import dev.convoy.pipeline.run.RunSummary;
import dev.convoy.pipeline.run.ZooRun;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Flink session cluster: a JobManager and 2 TaskManagers as separate JVMs, started the way
 * {@code convoy cluster start} does, and zoo runs submitted to it through its REST port with only
 * the Convoy job jar staged. The warehouse rows and artifacts must equal the Direct runner's, also
 * when a TaskManager is killed while the job runs (the job restarts on the survivor).
 *
 * <p>Tagged {@code cluster}: left out of a plain {@code mvn test}, run by {@code .ci/run}. About
 * 1.5 to 2 minutes on 2 busy cores (cluster start ~20 s, each cluster run 15-40 s).
 */
@Tag("cluster")
class FlinkClusterTest {
  /** Copies of the bundled zoo, so a run lasts long enough to lose a TaskManager in the middle. */
  private static final int COPIES = 3;

  @TempDir static Path tmp;
  static Path zoo;
  static LocalCluster cluster;
  static RunSummary direct;
  static Thread cleanup;

  @BeforeAll
  static void startClusterAndRunDirect() throws Exception {
    zoo = Files.createDirectories(tmp.resolve("zoo"));
    try (Stream<Path> models = Files.list(Zoos.bundled())) {
      for (Path m : models.filter(p -> p.toString().endsWith(".onnx")).toList()) {
        String stem = m.getFileName().toString().replace(".onnx", "");
        for (int i = 0; i < COPIES; i++) {
          Files.copy(m, zoo.resolve(stem + "_" + i + ".onnx"));
          Path shapes = Path.of(m + ".oracle.args");
          if (Files.exists(shapes)) {
            Files.copy(shapes, zoo.resolve(stem + "_" + i + ".onnx.oracle.args"));
          }
        }
      }
    }
    Files.copy(TestData.brokenModels().resolve("truncated.onnx"), zoo.resolve("truncated.onnx"));
    Path clusterDir = tmp.resolve("cluster");
    cleanup = new Thread(() -> LocalCluster.stop(clusterDir));
    Runtime.getRuntime().addShutdownHook(cleanup);
    cluster = LocalCluster.start(new LocalCluster.Spec(clusterDir, template(), 2, 2, freePort(),
        freePort(), Map.of("taskmanager.memory.task.heap.size", "512m")));
    direct = ZooRun.run(config("direct"), Runner.DIRECT.execution(null, 2, "same"), quiet());
  }

  @AfterAll
  static void stopCluster() {
    try {
      assertEquals(0, cluster == null ? 0 : countAliveAfterStop(cluster.dir()));
    } finally {
      Runtime.getRuntime().removeShutdownHook(cleanup);
    }
  }

  @Test
  void clusterRunWritesExactlyTheRowsAndArtifactsOfDirect() throws Exception {
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    RunSummary flink = ZooRun.run(config("flink"), onCluster(), new PrintStream(console, true));
    assertSameRun(flink);
    assertTrue(Files.readString(cluster.dir().resolve("log/taskmanager-1.out")).contains("ok "),
        "models ran inside the TaskManager processes");
    // The TaskManagers time the .cvy results with the evaluator's Vector API kernels, as the
    // Direct run in this JVM does (configs/flink/config.yaml adds the module to their JVMs).
    String runtimes = "SELECT DISTINCT runtime FROM read_parquet('%s/latencies/*/*.parquet')";
    assertEquals(List.of("convoy"), query(direct.warehouse(), runtimes));
    assertEquals(List.of("convoy"), query(flink.warehouse(), runtimes),
        "the TaskManagers ran the evaluator without the Vector API");
    // The console followed the job's counters while it ran: lines of models done on the
    // cluster, counts growing, none beyond the run's models.
    Matcher m = Pattern.compile("\\[ ?(\\d+)/16\\] done on the cluster \\(failures (\\d)")
        .matcher(console.toString());
    List<Integer> done = new ArrayList<>();
    while (m.find()) {
      done.add(Integer.parseInt(m.group(1)));
      assertTrue(Integer.parseInt(m.group(2)) <= 1, console::toString);
    }
    assertFalse(done.isEmpty(), "no progress from the cluster: " + console);
    for (int i = 1; i < done.size(); i++) {
      assertTrue(done.get(i) > done.get(i - 1), console::toString);
    }
    assertTrue(done.get(done.size() - 1) <= 16, console::toString);
  }

  @Test
  void losingATaskManagerMidRunStillWritesExactlyTheRowsOfDirect() throws Exception {
    RunConfig cfg = config("killed");
    Execution exec = onCluster();
    List<String> before = jobIds();
    CompletableFuture<RunSummary> run = CompletableFuture.supplyAsync(() -> ZooRun.run(cfg, exec, quiet()));
    Path staged = tmp.resolve("killed/.staging/same/artifacts");
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (!jobRunning() || count(staged, ".cvy") == 0) {
      assertFalse(run.isDone(), "the run ended before a TaskManager could be killed");
      assertTrue(System.nanoTime() < deadline, "no model finished within 3 minutes");
      Thread.sleep(100);
    }
    ProcessHandle victim = cluster.taskManager(1).orElseThrow();
    victim.destroyForcibly();
    victim.onExit().get(30, TimeUnit.SECONDS);
    RunSummary killed = run.get(5, TimeUnit.MINUTES);
    List<String> jobs = new ArrayList<>(jobIds());
    jobs.removeAll(before);
    assertEquals(1, jobs.size(), jobs::toString);
    String exceptions = cluster.get("/jobs/" + jobs.get(0) + "/exceptions").orElseThrow();
    assertTrue(exceptions.toLowerCase(Locale.ROOT).contains("taskmanager"),
        "the job saw the TaskManager go: " + exceptions);
    assertSameRun(killed);
    cluster.startTaskManager(1);
  }

  private static void assertSameRun(RunSummary flink) throws Exception {
    assertEquals(direct.modelsTotal(), flink.modelsTotal());
    assertEquals(5 * COPIES, flink.modelsOk());
    assertEquals(1, flink.modelsFailed());
    for (String table : Warehouses.MODEL_TABLES) {
      List<String> rows = rowsWithoutTimings(flink.warehouse(), table);
      assertEquals(rowsWithoutTimings(direct.warehouse(), table), rows, table);
    }
    assertEquals(List.of("16|15|1"), query(flink.warehouse(), "SELECT models_total || '|' || "
        + "models_ok || '|' || models_failed FROM read_parquet('%s/runs/*/*.parquet')"));
    assertEquals(files(direct.artifacts()), files(flink.artifacts()));
  }

  /** Artifact file names (content hashes for models) with their sizes. */
  private static Map<String, Long> files(Path dir) throws IOException {
    Map<String, Long> out = new TreeMap<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.toList()) {
        out.put(p.getFileName().toString(), p.toString().endsWith(".json") ? 0 : Files.size(p));
      }
    }
    return out;
  }

  private static List<String> jobIds() {
    Matcher m = Pattern.compile("\"jid\":\"([0-9a-f]+)\"")
        .matcher(cluster.get("/jobs/overview").orElseThrow());
    List<String> ids = new ArrayList<>();
    while (m.find()) {
      ids.add(m.group(1));
    }
    return ids;
  }

  private static boolean jobRunning() {
    return cluster.get("/jobs/overview").map(o -> o.contains("\"state\":\"RUNNING\"")).orElse(false);
  }

  private static long count(Path dir, String suffix) throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.toString().endsWith(suffix)).count();
    }
  }

  private static RunConfig config(String out) {
    return RunConfig.of(zoo, tmp.resolve(out)).withRunId("same");
  }

  private static Execution onCluster() {
    return Runner.FLINK_CLUSTER.execution(cluster.master(), 2, "same");
  }

  private static int countAliveAfterStop(Path dir) {
    LocalCluster.stop(dir);
    return (int) LocalCluster.status(dir).processes().values().stream().filter(b -> b).count();
  }

  private static Path template() {
    Path p = Zoos.bundled().getParent().getParent().resolve("configs/flink/config.yaml");
    assertTrue(Files.isRegularFile(p), p.toString());
    return p;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static PrintStream quiet() {
    return new PrintStream(new ByteArrayOutputStream(), true);
  }
}
