package dev.convoy.runners.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.convoy.pipeline.Zoos;
import dev.convoy.runners.Main;
import dev.convoy.runners.runner.ConvoyBuild;
import dev.convoy.runners.runner.JobJar;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Convoy installed on the cluster ({@code convoy cluster start}): jobs run the TaskManagers' one
 * copy of Convoy's classes, so a second job loads almost no classes (with classes from each job's
 * staged jar it loaded all of Convoy's again, and the JIT compiled them again); and a run from
 * another build than the installed one is refused before anything is submitted, with the message
 * that says how to restart the cluster, which {@code cluster status} shows too.
 *
 * <p>Tagged {@code cluster}: each test starts a JobManager and one TaskManager (about 20 s idle,
 * a minute on busy cores) and runs at most two one-model jobs.
 */
@Tag("cluster")
class InstalledConvoyClusterTest {
  /** Classes a job may still load on a warm TaskManager (Flink's and Beam's per-job ones). */
  private static final int WARM_JOB_CLASSES = 200;

  @TempDir Path tmp;
  Path dir;
  Thread cleanup;

  @AfterEach
  void stopCluster() {
    if (dir != null) {
      LocalCluster.stop(dir);
      Runtime.getRuntime().removeShutdownHook(cleanup);
    }
  }

  @Test
  void aSecondJobLoadsAlmostNoClassesOnTheTaskManager() throws Exception {
    LocalCluster c = start(JobJar.convoyEntries());
    Cli status = cli("cluster", "status", "--dir", dir.toString());
    assertTrue(status.out().contains(ConvoyBuild.ofThisClasspath().shortHash() + " from ")
        && status.out().contains("(this build)"), status.out());
    Path zoo = oneModelZoo();
    long before = classesLoaded(c);
    Cli first = cli("run", zoo.toString(), "--flink-master", c.master(), "--parallelism", "1",
        "--out", tmp.resolve("out").toString(), "--run-id", "first");
    assertEquals(0, first.code(), first.err());
    long afterFirst = classesLoaded(c);
    Cli second = cli("run", zoo.toString(), "--flink-master", c.master(), "--parallelism", "1",
        "--out", tmp.resolve("out").toString(), "--run-id", "second");
    assertEquals(0, second.code(), second.err());
    long afterSecond = classesLoaded(c);
    assertTrue(afterFirst - before > WARM_JOB_CLASSES,
        "the first job loads Convoy's classes: " + (afterFirst - before));
    assertTrue(afterSecond - afterFirst < WARM_JOB_CLASSES,
        "the second job reuses them, but loaded " + (afterSecond - afterFirst) + " classes");
  }

  @Test
  void refusesARunFromAnotherBuildAndStatusSaysSo() throws Exception {
    Path marker = Files.createDirectories(tmp.resolve("other/dev/convoy"));
    Files.writeString(marker.resolve("another-build.txt"), "not the client's build");
    List<Path> other = new ArrayList<>(JobJar.convoyEntries());
    other.add(tmp.resolve("other"));
    LocalCluster c = start(other);
    ConvoyBuild installed = c.build().orElseThrow();
    ConvoyBuild mine = ConvoyBuild.ofThisClasspath();
    assertFalse(installed.hash().equals(mine.hash()));

    Cli run = cli("run", oneModelZoo().toString(), "--flink-master", c.master(),
        "--out", tmp.resolve("out").toString());
    assertEquals(Main.BAD_INPUT, run.code(), run.err());
    assertEquals("convoy: cluster at " + c.master() + " runs Convoy " + installed
        + "; this build is " + mine + "; restart it with ./convoy cluster stop && ./convoy"
        + " cluster start", run.err().strip());
    assertFalse(run.err().contains("\tat "), "no stack trace: " + run.err());
    assertFalse(Files.exists(tmp.resolve("out/warehouse")), "nothing was written");
    assertTrue(c.get("/jobs/overview").orElseThrow().contains("\"jobs\":[]"),
        "nothing was submitted");

    Cli status = cli("cluster", "status", "--dir", dir.toString());
    assertTrue(status.out().contains(installed.toString() + " (this build is " + mine
        + ": restart the cluster to run it)"), status.out());
  }

  private LocalCluster start(List<Path> convoy) throws IOException {
    dir = tmp.resolve("cluster");
    Path d = dir;
    cleanup = new Thread(() -> LocalCluster.stop(d));
    Runtime.getRuntime().addShutdownHook(cleanup);
    return LocalCluster.start(new LocalCluster.Spec(dir, template(), 1, 1, freePort(), freePort(),
        Map.of("taskmanager.memory.task.heap.size", "512m", "metrics.fetcher.update-interval",
            "200")), LocalCluster.classpathWithoutConvoy(),
        convoy);
  }

  private Path oneModelZoo() throws IOException {
    Path zoo = Files.createDirectories(tmp.resolve("zoo"));
    Path model = zoo.resolve("optest_conv_bn_relu.onnx");
    if (!Files.exists(model)) {
      Files.copy(Zoos.bundled().resolve("optest_conv_bn_relu.onnx"), model);
    }
    return zoo;
  }

  /**
   * The TaskManager JVM's count of classes loaded since it started (Flink's JVM metric), once two
   * readings a second apart agree (the REST API serves metrics it fetched up to {@code
   * metrics.fetcher.update-interval} ago).
   */
  private static long classesLoaded(LocalCluster c) throws Exception {
    ObjectMapper json = new ObjectMapper();
    String tm = json.readTree(c.get("/taskmanagers").orElseThrow()).path("taskmanagers").get(0)
        .path("id").asText();
    long last = -1;
    for (int i = 0; i < 60; i++) {
      Thread.sleep(1000);
      JsonNode metrics = json.readTree(c.get("/taskmanagers/" + tm
          + "/metrics?get=Status.JVM.ClassLoader.ClassesLoaded").orElseThrow());
      long now = metrics.isEmpty() ? -1 : metrics.get(0).path("value").asLong();
      if (now >= 0 && now == last) {
        return now;
      }
      last = now;
    }
    throw new AssertionError("the TaskManager's class count did not settle within a minute");
  }

  record Cli(int code, String out, String err) {}

  private static Cli cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Cli(code, out.toString(), err.toString());
  }

  private static Path template() {
    return Zoos.bundled().getParent().getParent().resolve("configs/flink/config.yaml");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
