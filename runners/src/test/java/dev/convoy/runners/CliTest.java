package dev.convoy.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.testing.TestData;
import dev.convoy.transforms.convert.Models;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.convert.onnx.OnnxTensors;
import dev.convoy.transforms.verify.OrtVerifier;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The command-line contract: exit codes, one-line errors naming the file, outputs written. */
class CliTest {
  @TempDir Path tmp;

  record Result(int exit, String out, String err) {}

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(code, out.toString(), err.toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"empty.onnx", "truncated.onnx", "random.onnx", "notonnx.onnx"})
  void brokenModelIsBadInputNamingTheFile(String name) {
    Path broken = TestData.brokenModels().resolve(name);
    Result r = run("convert", broken.toString(), "-o", tmp.resolve("out.onnx").toString());
    assertEquals(Main.BAD_INPUT, r.exit(), r.err());
    assertTrue(r.err().startsWith("convoy: "), r.err());
    assertTrue(r.err().contains(name), r.err());
    assertFalse(r.err().contains("\tat "), "no stack trace without --debug: " + r.err());
    assertFalse(Files.exists(tmp.resolve("out.onnx")));
  }

  @Test
  void missingModelIsBadInput() {
    Result r = run("inspect", tmp.resolve("nope.onnx").toString());
    assertEquals(Main.BAD_INPUT, r.exit());
    assertTrue(r.err().contains("nope.onnx"), r.err());
  }

  @Test
  void unknownLevelIsBadInput() {
    Path m = TestData.devModels().resolve("optest_conv_bn_relu.onnx");
    Result r = run("optimize", m.toString(), "-o", tmp.resolve("o.onnx").toString(), "--level", "O9");
    assertEquals(Main.BAD_INPUT, r.exit());
    assertTrue(r.err().contains("O9"), r.err());
  }

  @Test
  void malformedInputShapeIsBadInput() {
    Path m = TestData.devModels().resolve("squeezenet1_1.onnx");
    Result r = run("optimize", m.toString(), "-o", tmp.resolve("o.onnx").toString(),
        "--input-shape", "x=1xfoo");
    assertEquals(Main.BAD_INPUT, r.exit());
    assertTrue(r.err().contains("foo"), r.err());
  }

  @Test
  void convertWritesCvyThatLoadsBackEqual() {
    Path m = TestData.devModels().resolve("super_resolution.onnx");
    Path out = tmp.resolve("sr.cvy");
    Result r = run("convert", m.toString(), "-o", out.toString());
    assertEquals(Main.OK, r.exit(), r.err());
    assertEquals(Models.load(m), Models.load(out));
  }

  @Test
  void optimizeWritesOnnxReportAndVerifies() throws Exception {
    Path m = TestData.devModels().resolve("optest_conv_bn_relu.onnx");
    Path out = tmp.resolve("o.onnx");
    Path rep = tmp.resolve("r.json");
    Result r = run("optimize", m.toString(), "-o", out.toString(), "--level", "O1", "--verify",
        "--report", rep.toString());
    assertEquals(Main.OK, r.exit(), r.out() + r.err());
    assertTrue(r.out().contains("verify: pass"), r.out());
    String json = Files.readString(rep);
    assertTrue(json.contains("\"nodes_before\""), json);
    assertTrue(json.contains("\"verification\""), json);
  }

  @Test
  void inspectSummarizesOpsAndPrintsText() {
    Path m = TestData.devModels().resolve("optest_conv_bn_relu.onnx");
    Result r = run("inspect", m.toString());
    assertEquals(Main.OK, r.exit(), r.err());
    assertTrue(r.out().contains("Conv"), r.out());
    assertTrue(r.out().contains("BatchNormalization"), r.out());
    Result t = run("inspect", "--text", m.toString());
    assertEquals(Main.OK, t.exit(), t.err());
    assertTrue(t.out().contains("Conv("), t.out());
  }

  @Test
  void evalWritesOutputsMatchingTheReference() {
    Path m = TestData.devModels().resolve("optest_conv_bn_relu.onnx");
    Path ref = TestData.devModels().resolve("optest_conv_bn_relu.ref/test_data_set_0");
    Path outDir = tmp.resolve("outs");
    Result r = run("eval", m.toString(), "--inputs", ref.toString(), "--outputs", outDir.toString());
    assertEquals(Main.OK, r.exit(), r.err());
    Tensor expected = OnnxTensors.readPb(ref.resolve("output_0.pb"));
    Tensor actual = OnnxTensors.readPb(outDir.resolve("output_0.pb"));
    assertTrue(OrtVerifier.compareTensors("y", expected, actual, OrtVerifier.Tolerance.DEFAULT).pass());
  }

  @Test
  void evalWithoutItsInputsIsBadInput() {
    Path m = TestData.devModels().resolve("optest_conv_bn_relu.onnx");
    Result r = run("eval", m.toString(), "--inputs", tmp.toString(), "--outputs", tmp.toString());
    assertEquals(Main.BAD_INPUT, r.exit());
    assertTrue(r.err().contains("input_0.pb"), r.err());
  }

  @Test
  void conformanceEndsWithTheSummaryLine() {
    Path dir = TestData.nodeTests();
    Result r = run("conformance", dir.toString(), "--filter", "test_relu*", "--min-pass", "1.0");
    assertEquals(Main.OK, r.exit(), r.out() + r.err());
    String[] lines = r.out().strip().split("\n");
    assertTrue(lines[lines.length - 1].matches("[1-9]\\d* passed, 0 failed, 0 skipped"), r.out());
  }

  @Test
  void runOnAYamlManifestWithANegativeDimIsBadInputNamingTheFile() throws Exception {
    Path zoo = Files.createDirectories(tmp.resolve("yzoo"));
    Files.copy(TestData.devModels().resolve("optest_conv_bn_relu.onnx"), zoo.resolve("m.onnx"));
    Path yaml = Files.writeString(zoo.resolve("zoo.yaml"),
        "models:\n  - path: m.onnx\n    input_shapes:\n      x: [1, -3, 8, 8]\n");
    Result r = run("run", yaml.toString(), "--out", tmp.resolve("yout").toString());
    assertEquals(Main.BAD_INPUT, r.exit(), r.out() + r.err());
    assertTrue(r.err().startsWith("convoy: " + yaml + " entry 1: bad dimension '-3'"), r.err());
    assertFalse(r.err().contains("\tat "), r.err());
  }

  @Test
  void runReportAndCompareAZooWithABrokenModel() throws Exception {
    Path zoo = Files.createDirectories(tmp.resolve("zoo"));
    Files.copy(TestData.devModels().resolve("optest_conv_bn_relu.onnx"), zoo.resolve("good.onnx"));
    Files.copy(TestData.brokenModels().resolve("truncated.onnx"), zoo.resolve("bad.onnx"));
    Path out = tmp.resolve("out");
    String wh = out.resolve("warehouse").toString();
    Result first = run("run", zoo.toString(), "--out", out.toString(), "--run-id", "r1", "--level", "O1");
    assertEquals(Main.CHECK_FAILED, first.exit(), "a failed model makes the run exit 1: " + first.err());
    // Progress goes to the CLI's console: one line per model, then the summary.
    assertTrue(first.out().startsWith("convoy run r1: 2 models\n"), first.out());
    assertTrue(first.out().contains("[1/2] ") && first.out().contains("[2/2] "), first.out());
    assertTrue(first.out().matches("(?s).*\\] ok +good .*\\] FAILED +bad .*"
        + "|(?s).*\\] FAILED +bad .*\\] ok +good .*"), first.out());
    assertTrue(first.out().contains("convoy run r1: 1 ok, 1 failed of 2"), first.out());
    Result second = run("run", zoo.toString(), "--out", out.toString(), "--run-id", "r2", "--level", "O0");
    assertEquals(Main.CHECK_FAILED, second.exit(), second.err());

    Result report = run("report", "r1", "--warehouse", wh);
    assertEquals(Main.OK, report.exit(), report.err());
    // Both print to the CLI's console (what Main.execute was handed), not to System.out.
    assertTrue(report.out().startsWith("run r1: ") && report.out().contains("models: 1 ok, 1 failed"),
        report.out());
    Result compare = run("compare", "r1", "r2", "--warehouse", wh, "--fail-on-regression");
    assertEquals(Main.CHECK_FAILED, compare.exit(), "O0 keeps more nodes than O1: a regression");
    assertTrue(compare.out().startsWith("compare r1 (A) -> r2 (B)")
        && compare.out().contains("REGRESSION"), compare.out());
    Result noRun = run("report", "nope", "--warehouse", tmp.resolve("missing").toString());
    assertEquals(Main.BAD_INPUT, noRun.exit());
  }

  @Test
  void runVerifiesAModelWhoseWeightsAreInAnExternalFile() throws Exception {
    Path zoo = Files.createDirectories(tmp.resolve("extzoo"));
    Path model = zoo.resolve("ext.onnx");
    OnnxExporter.writeWithExternalData(
        Models.load(TestData.devModels().resolve("optest_conv_bn_relu.onnx")), model, 0);
    assertTrue(Files.list(zoo).count() > 1, "weights went to a file beside the model");
    Result r = run("run", zoo.toString(), "--out", tmp.resolve("extout").toString(), "--run-id",
        "ext", "--level", "O1");
    assertEquals(Main.OK, r.exit(), r.err());
  }

  @Test
  void helpOnEverySubcommand() {
    for (String sub : new String[] {"optimize", "convert", "inspect", "eval", "conformance", "run",
        "report", "compare", "bench", "cluster", "zoo"}) {
      Result r = run(sub, "--help");
      assertEquals(Main.OK, r.exit(), sub);
      assertTrue(r.out().contains("Usage: convoy " + sub), sub + ": " + r.out());
    }
  }

  @Test
  void clusterStatusWithoutAClusterExits1AndAnUnknownActionIsBadInput() {
    String dir = tmp.resolve("no-cluster").toString();
    Result status = run("cluster", "status", "--dir", dir);
    assertEquals(Main.CHECK_FAILED, status.exit(), status.err());
    assertTrue(status.out().contains("no cluster in"), status.out());
    Result stop = run("cluster", "stop", "--dir", dir);
    assertEquals(Main.OK, stop.exit(), stop.err());
    assertTrue(stop.out().contains("stopped 0 cluster processes"), stop.out());
    Result bogus = run("cluster", "restart", "--dir", dir);
    assertEquals(Main.BAD_INPUT, bogus.exit());
    assertTrue(bogus.err().contains("restart"), bogus.err());
  }

  @Test
  void zooSynthWritesNModelsAndTheirManifest() throws Exception {
    Path out = tmp.resolve("synth");
    Result r = run("zoo", "synth", "12", "--seed", "5", "--out", out.toString());
    assertEquals(Main.OK, r.exit(), r.err());
    assertTrue(r.out().startsWith("wrote 12 models to "), r.out());
    assertEquals(13, Files.readAllLines(out.resolve("MANIFEST.csv")).size());
    assertEquals(Main.BAD_INPUT, run("zoo", "synth", "0", "--out", out.toString()).exit());
  }
}
