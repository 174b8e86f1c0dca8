package dev.convoy.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.testing.TestData;
import dev.convoy.pipeline.MiniHdfs;
import dev.convoy.pipeline.Zoos;
import dev.convoy.pipeline.storage.Storage;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.io.hdfs.HadoopFileSystemOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line against a real HDFS (Hadoop's MiniDFSCluster, a NameNode and a DataNode in
 * this JVM), configured the way a user configures it: {@code HADOOP_CONF_DIR} naming a folder with
 * {@code core-site.xml}, read by the real {@code ./convoy} launcher. A zoo folder on HDFS runs
 * twice (O1, then O0) into a warehouse on HDFS; {@code report} and {@code compare} read that
 * warehouse there and print what they print for the same runs in a local warehouse.
 */
@Tag("cluster")
class RemoteWarehouseCliTest {
  @TempDir static Path tmp;
  static MiniDFSCluster dfs;
  static String root;
  static Path hadoopConf;

  @BeforeAll
  static void startHdfsWithAZooFolder() throws Exception {
    dfs = MiniHdfs.start(tmp.resolve("dfs"));
    root = dfs.getURI() + "/convoy/";
    hadoopConf = Files.createDirectories(tmp.resolve("hadoop-conf"));
    Files.writeString(hadoopConf.resolve("core-site.xml"), """
        <?xml version="1.0"?>
        <configuration>
          <property><name>fs.defaultFS</name><value>%s</value></property>
        </configuration>
        """.formatted(dfs.getURI()));
    MiniHdfs.register(dfs, PipelineOptionsFactory.as(HadoopFileSystemOptions.class));
    Path zoo = Files.createDirectories(tmp.resolve("zoo"));
    Files.copy(Zoos.bundled().resolve("optest_conv_bn_relu.onnx"), zoo.resolve("good.onnx"));
    Files.copy(TestData.brokenModels().resolve("truncated.onnx"), zoo.resolve("bad.onnx"));
    for (Path f : List.of(zoo.resolve("good.onnx"), zoo.resolve("bad.onnx"))) {
      try (OutputStream out = Storage.create(root + "zoo/" + f.getFileName())) {
        Files.copy(f, out);
      }
    }
  }

  @AfterAll
  static void stopHdfs() {
    if (dfs != null) {
      dfs.shutdown();
    }
  }

  @Test
  void reportAndCompareReadAWarehouseOnHdfsAsTheyReadALocalOne() throws Exception {
    String wh = root + "out/warehouse/";
    for (String[] run : new String[][] {{"a", "O1"}, {"b", "O0"}}) {
      Launched r = launch("run", root + "zoo/", "--out", root + "out/", "--run-id", run[0],
          "--level", run[1], "--latency-runs", "1", "--parallelism", "1");
      assertEquals(Main.CHECK_FAILED, r.exit(), "the broken model fails the run: " + r.err());
      assertTrue(r.out().contains("convoy run " + run[0] + ": 1 ok, 1 failed of 2"), r.out());
      Launched local = launch("run", tmp.resolve("zoo") + "/", "--out",
          tmp.resolve("local").toString(), "--run-id", run[0], "--level", run[1],
          "--latency-runs", "1", "--parallelism", "1");
      assertEquals(Main.CHECK_FAILED, local.exit(), local.err());
    }
    String localWh = tmp.resolve("local/warehouse").toString();

    Launched report = launch("report", "a", "--warehouse", wh);
    assertEquals(Main.OK, report.exit(), report.err());
    assertTrue(report.out().startsWith("run a: ") && report.out().contains("models: 1 ok, 1 failed"),
        report.out());
    assertEquals(withoutTimings(cli("report", "a", "--warehouse", localWh)),
        withoutTimings(report.out().replace(root + "zoo/", tmp.resolve("zoo") + "/")),
        "the same report as from the local warehouse");

    Launched compare = launch("compare", "a", "b", "--warehouse", wh, "--fail-on-regression");
    assertEquals(Main.CHECK_FAILED, compare.exit(), "O0 keeps more nodes than O1: " + compare.err());
    assertTrue(compare.out().startsWith("compare a (A) -> b (B)")
        && compare.out().contains("REGRESSION"), compare.out());
    assertEquals(withoutTimings(cli("compare", "a", "b", "--warehouse", localWh)),
        withoutTimings(compare.out()), "the same comparison as from the local warehouse");

    Launched missing = launch("report", "nope", "--warehouse", wh);
    assertEquals(Main.BAD_INPUT, missing.exit(), missing.err());
    assertTrue(missing.err().startsWith("convoy: ") && !missing.err().contains("\tat "),
        missing.err());
  }

  /**
   * The text with every figure that measures time replaced (dates, durations, speed-ups, latency
   * pairs, a model row's time column; the latency regression verdict, which two runs of one
   * latency measurement each may or may not reach, and so the count of regressions), error
   * messages cut where the report cuts them (the column width, reached at another point by a
   * longer hdfs:// path), and the padding of columns.
   */
  private static String withoutTimings(String text) {
    return text.replaceAll("(?m)^ REGRESSION \\S+: latency .*\\R", "")
        .replaceAll("(?m)^\\d+ regression\\(s\\):", "regression(s):")
        .replaceAll("\\d{4}-\\d\\d-\\d\\d[ T]\\d\\d:\\d\\d(:\\d\\d)?(\\.\\d+)?Z?", "DATE")
        .replaceAll("-?\\d+(\\.\\d+)?(e-?\\d+)? ?(ms|s|x)\\b", "T")
        .replaceAll("[+-]?\\d+(\\.\\d+)?%", "P")
        .replaceAll("\\d+\\.\\d+->\\d+\\.\\d+", "L")
        .replaceAll("\\d+->\\d+(\\s+L)", "T$1")
        .replaceAll("(?m)( pass \\S+ +)\\d+$", "$1T")
        .replaceAll("\\(While parsing[^\\n]*", "(...)")
        .replaceAll(" +", " ");
  }

  /** Runs the command line in this JVM (the local side of a comparison). */
  private static String cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return out.toString();
  }

  private record Launched(int exit, String out, String err) {}

  /**
   * Runs the real {@code ./convoy} launcher on this test's classpath, with {@code HADOOP_CONF_DIR}
   * naming the HDFS settings.
   */
  private static Launched launch(String... args) throws Exception {
    String cp = System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path"));
    Path argFile = Files.writeString(tmp.resolve("convoy.args"), "-cp \"" + cp + "\"\n");
    Path launcher = Path.of("").toAbsolutePath();
    while (launcher != null && !Files.isRegularFile(launcher.resolve("convoy"))) {
      launcher = launcher.getParent();
    }
    assertTrue(launcher != null, "no ./convoy launcher above the test's folder");
    List<String> command = new ArrayList<>(List.of(launcher.resolve("convoy").toString()));
    command.addAll(List.of(args));
    Path out = Files.createTempFile(tmp, "launch", ".out");
    Path err = Files.createTempFile(tmp, "launch", ".err");
    ProcessBuilder pb = new ProcessBuilder(command).directory(tmp.toFile())
        .redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().put("CONVOY_NO_BUILD", "1");
    pb.environment().put("CONVOY_ARGS_FILE", argFile.toString());
    pb.environment().put("CONVOY_JAVA_OPTS", "-Xmx1g");
    pb.environment().put("HADOOP_CONF_DIR", hadoopConf.toString());
    Process p = pb.start();
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), "./convoy " + args[0] + " hung");
    return new Launched(p.exitValue(), Files.readString(out), Files.readString(err));
  }
}
