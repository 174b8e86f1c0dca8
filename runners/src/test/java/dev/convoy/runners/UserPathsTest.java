package dev.convoy.runners;

import static dev.convoy.runners.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.testing.TestData;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.runners.CliTest.Result;
import dev.convoy.transforms.convert.ModelFormat;
import dev.convoy.transforms.convert.Models;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.convert.onnx.OnnxTensors;
import dev.convoy.transforms.verify.OrtVerifier;
import dev.convoy.transforms.verify.SeededInputs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End-to-end tests of user paths through the real command line (picocli, importer, optimizer,
 * Beam runners, ONNX Runtime as the oracle): manifests, targets, runners, optimizer flags, eval
 * threads, conformance's exit code, {@code run} exiting 1 on a verification mismatch on Direct
 * and Flink, and the {@code ./convoy} launcher. Kept fast: the smallest dev models, one Flink run.
 */
class UserPathsTest {
  @TempDir Path tmp;

  private static OrtVerifier ort;

  @BeforeAll
  static void startOrt() {
    ort = new OrtVerifier();
  }

  @AfterAll
  static void closeOrt() {
    ort.close();
  }

  private static Path dev(String name) {
    return TestData.devModels().resolve(name);
  }

  /** Copies the conv-bn-relu and super-resolution dev models to dir (sr's shapes not beside it). */
  private static void twoModels(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.copy(dev("optest_conv_bn_relu.onnx"), dir.resolve("conv.onnx"));
    Files.copy(dev("super_resolution.onnx"), dir.resolve("sr.onnx"));
  }

  /** The model names of a run's artifact reports, sorted. */
  private static List<String> reportNames(Path out) throws IOException {
    try (Stream<Path> s = Files.list(out.resolve("artifacts"))) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".report.json"))
          .map(n -> n.substring(0, n.length() - ".report.json".length()))
          .sorted().toList();
    }
  }

  /** Runs {@code convoy run}; on a failed run the message holds the run's report. */
  private static void assertRunOk(Path out, String runId, String... args) {
    List<String> all = new java.util.ArrayList<>(List.of("run"));
    all.addAll(List.of(args));
    all.addAll(List.of("--out", out.toString(), "--run-id", runId));
    Result r = run(all.toArray(String[]::new));
    if (r.exit() != Main.OK) {
      assertEquals(Main.OK, r.exit(), r.err() + reportText(out, runId));
    }
  }

  /** What {@code convoy report RUN_ID} prints to the CLI's console. */
  private static String reportText(Path out, String runId) {
    Result r = run("report", runId, "--warehouse", out.resolve("warehouse").toString());
    assertEquals(Main.OK, r.exit(), r.err());
    return r.out();
  }

  private static JsonNode report(Path out, String model) throws IOException {
    return new ObjectMapper().readTree(out.resolve("artifacts/" + model + ".report.json").toFile());
  }

  @Test
  void runFromACsvManifestUsesItsNamesAndShapes() throws Exception {
    Path zoo = tmp.resolve("zoo");
    twoModels(zoo);
    Path manifest = Files.writeString(zoo.resolve("zoo.csv"),
        "path,name,tags,input_shapes\nconv.onnx,conv-bn,cnn;small,\n"
            + "sr.onnx,upscaler,cnn,input=2x1x224x224\n");
    Path out = tmp.resolve("out");
    assertRunOk(out, "csv", manifest.toString(), "--level", "O1");
    assertEquals(List.of("conv-bn", "upscaler"), reportNames(out));
    JsonNode sr = report(out, "upscaler");
    assertEquals("[2,1,224,224]", sr.at("/run/ref/inputShapes/input").toString(), sr.toString());
    assertEquals("[\"cnn\",\"small\"]", report(out, "conv-bn").at("/run/ref/tags").toString());
  }

  @Test
  void runFromAYamlManifestUsesItsNamesAndShapes() throws Exception {
    Path zoo = tmp.resolve("zoo");
    twoModels(zoo);
    Path manifest = Files.writeString(zoo.resolve("zoo.yaml"), """
        models:
          - path: conv.onnx
            name: conv-bn
          - file: sr.onnx
            name: upscaler
            tags: [cnn]
            input_shapes:
              input: [3, 1, 224, 224]
        """);
    Path out = tmp.resolve("out");
    assertRunOk(out, "yaml", manifest.toString(), "--level", "O1");
    assertEquals(List.of("conv-bn", "upscaler"), reportNames(out));
    assertEquals("[3,1,224,224]",
        report(out, "upscaler").at("/run/ref/inputShapes/input").toString());
  }

  @Test
  void runWithTargetOnnxWritesModelsOnnxRuntimeRunsAlike() throws Exception {
    Path zoo = tmp.resolve("zoo");
    twoModels(zoo);
    Files.writeString(zoo.resolve("sr.onnx.oracle.args"), "input=1x1x224x224\n");
    Path out = tmp.resolve("out");
    assertRunOk(out, "onnx", zoo.toString(), "--level", "O2", "--target", "onnx");
    for (String model : List.of("conv", "sr")) {
      String artifact = report(out, model).get("artifact").asText();
      assertTrue(artifact.endsWith(".onnx"), artifact);
      Path file = out.resolve("artifacts").resolve(artifact);
      assertEquals(ModelFormat.ONNX, ModelFormat.sniff(file));
      Path original = zoo.resolve(model + ".onnx");
      Map<String, Tensor> inputs = SeededInputs.generate(Models.load(original),
          Map.of("input", new long[] {1, 1, 224, 224}));
      var v = ort.compare(Files.readAllBytes(original), Files.readAllBytes(file), inputs);
      assertTrue(v.pass(), model + ": " + v.firstFailure());
    }
  }

  /**
   * A Conv adding 1e4 followed by a BatchNormalization subtracting it again and scaling by 1e3: in
   * float32 the unfused original loses x's low bits to the rounding of x + 1e4 (up to 0.5 after
   * scaling), while fuse-conv-batchnorm (O1) computes 1e3 * x directly. ONNX Runtime without
   * optimizations runs the original, so the verification of the O1 result is a real mismatch.
   */
  private static final String CANCELLING_CONV_BN = """
      graph cancelling (%x: float32[1,1,8,8]) -> (%y: float32[1,1,8,8]) {
        opset "" 13
        init %W: float32[1,1,1,1] = [1.0]
        init %B: float32[1] = [10000.0]
        init %gamma: float32[1] = [1000.0]
        init %beta: float32[1] = [0.0]
        init %mean: float32[1] = [10000.0]
        init %var: float32[1] = [1.0]
        %c: float32[1,1,8,8] = Conv(%x, %W, %B) @conv
        %y = BatchNormalization(%c, %gamma, %beta, %mean, %var) @bn
      }
      """;

  /** Also the command-line path to the Flink runner (embedded, parallelism 2). */
  @Test
  void runExitsOneOnAVerificationMismatchOnDirectAndFlink() throws Exception {
    Path zoo = Files.createDirectories(tmp.resolve("zoo"));
    OnnxExporter.write(GraphParser.parse(CANCELLING_CONV_BN), zoo.resolve("cancelling.onnx"));
    Files.copy(dev("optest_conv_bn_relu.onnx"), zoo.resolve("conv.onnx"));
    for (String runner : List.of("direct", "flink")) {
      Path out = tmp.resolve("out-" + runner);
      Result r = run("run", zoo.toString(), "--out", out.toString(), "--run-id", runner,
          "--level", "O1", "--runner", runner, "--parallelism", "2");
      assertEquals(Main.CHECK_FAILED, r.exit(), runner + ": " + r.err());
      String report = reportText(out, runner);
      assertTrue(report.contains(runner + " runner (parallelism 2)"), report);
      assertTrue(report.contains("models: 2 ok, 0 failed"), "a mismatch is not a failure: " + report);
      assertTrue(report.matches("(?s).*\\ncancelling .* FAIL \\d.*"), runner + ": " + report);
      assertTrue(report.matches("(?s).*\\nconv .* pass \\d.*"), runner + ": " + report);
    }
  }

  @Test
  void optimizeToCvyWritesAnEngineModelTheEvaluatorRunsLikeOrt() throws Exception {
    Path model = dev("optest_conv_bn_relu.onnx");
    Path out = tmp.resolve("conv.bin");
    Result r = run("optimize", model.toString(), "-o", out.toString(), "--target", "cvy",
        "--level", "O3");
    assertEquals(Main.OK, r.exit(), r.err());
    assertEquals(ModelFormat.CVY, ModelFormat.sniff(out), "--target wins over the extension");
    Graph g = Models.load(out);
    Map<String, Tensor> inputs = SeededInputs.generate(Models.load(model), Map.of());
    Map<String, Tensor> want = ort.run(model, inputs);
    Map<String, Tensor> got = Evaluator.standard().runTensors(g, inputs);
    assertEquals(want.keySet(), got.keySet());
    for (var e : want.entrySet()) {
      var c = OrtVerifier.compareTensors(e.getKey(), e.getValue(), got.get(e.getKey()),
          OrtVerifier.Tolerance.DEFAULT);
      assertTrue(c.pass(), e.getKey() + ": " + c);
    }
  }

  @Test
  void verifyEachPassChecksEveryPassAndChangesNothing() throws Exception {
    Path model = dev("optest_gelu_erf_chain.onnx");
    Path plain = tmp.resolve("plain.onnx");
    Path checked = tmp.resolve("checked.onnx");
    Result a = run("optimize", model.toString(), "-o", plain.toString(), "--level", "O2",
        "--input-shape", "x=2x16x64");
    Result b = run("optimize", model.toString(), "-o", checked.toString(), "--level", "O2",
        "--verify-each-pass", "--verify", "--input-shape", "x=2x16x64");
    assertEquals(Main.OK, a.exit(), a.err());
    assertEquals(Main.OK, b.exit(), b.out() + b.err());
    assertFalse(b.out().contains("numeric check off"), b.out());
    assertTrue(b.out().contains("verify: pass"), b.out());
    assertTrue(java.util.Arrays.equals(Files.readAllBytes(plain), Files.readAllBytes(checked)),
        "checking every pass must not change the result");
  }

  private static Map<String, Integer> ops(Path model) {
    return Models.load(model).opHistogram();
  }

  @Test
  void enableDisableAndPipelineFromTheCommandLine() throws Exception {
    Path conv = dev("optest_conv_bn_relu.onnx");
    Path gelu = dev("optest_gelu_erf_chain.onnx");
    Path o1 = tmp.resolve("o1.onnx");
    assertEquals(Main.OK, run("optimize", conv.toString(), "-o", o1.toString()).exit());
    assertFalse(ops(o1).containsKey("BatchNormalization"), ops(o1).toString());

    Path noFuse = tmp.resolve("nofuse.onnx");
    Result d = run("optimize", conv.toString(), "-o", noFuse.toString(),
        "--disable", "fuse-conv-batchnorm");
    assertEquals(Main.OK, d.exit(), d.err());
    assertTrue(ops(noFuse).containsKey("BatchNormalization"), ops(noFuse).toString());

    Path plainGelu = tmp.resolve("gelu-o1.onnx");
    Path fusedGelu = tmp.resolve("gelu-enabled.onnx");
    assertEquals(Main.OK, run("optimize", gelu.toString(), "-o", plainGelu.toString()).exit());
    // opset 13 has no standard Gelu: the fusion needs ONNX Runtime's ops allowed
    Result en = run("optimize", gelu.toString(), "-o", fusedGelu.toString(),
        "--enable", "fuse-gelu-erf", "--onnx-ops", "ort", "--verify");
    assertEquals(Main.OK, en.exit(), en.out() + en.err());
    assertFalse(ops(plainGelu).keySet().stream().anyMatch(op -> op.endsWith("Gelu")),
        "O1 does not fuse GELU: " + ops(plainGelu));
    assertTrue(ops(fusedGelu).keySet().stream().anyMatch(op -> op.endsWith("Gelu")),
        ops(fusedGelu).toString());

    Path pipeline = Files.writeString(tmp.resolve("only-bn.txt"),
        "# fuse BatchNormalization into Conv and nothing else\nrules mine {\n"
            + "  fuse-conv-batchnorm\n}\n");
    Path piped = tmp.resolve("piped.onnx");
    Result p = run("optimize", conv.toString(), "-o", piped.toString(), "--level", "O0",
        "--pipeline", pipeline.toString(), "--verify");
    assertEquals(Main.OK, p.exit(), p.out() + p.err());
    Map<String, Integer> before = ops(conv);
    Map<String, Integer> after = ops(piped);
    assertFalse(after.containsKey("BatchNormalization"), after.toString());
    assertEquals(before.get("Conv"), after.get("Conv"), "only the BatchNormalization went");

    Path bad = Files.writeString(tmp.resolve("bad.txt"), "rules mine {\n  no-such-rule\n}\n");
    Result e = run("optimize", conv.toString(), "-o", tmp.resolve("x.onnx").toString(),
        "--pipeline", bad.toString());
    assertEquals(Main.BAD_INPUT, e.exit(), e.err());
    assertTrue(e.err().contains("no-such-rule"), e.err());
    Result u = run("optimize", conv.toString(), "-o", tmp.resolve("y.onnx").toString(),
        "--enable", "no-such-rule");
    assertEquals(Main.BAD_INPUT, u.exit(), u.err());
  }

  @Test
  void evalWithThreadsGivesTheReferenceOutputs() {
    Path model = dev("squeezenet1_1.onnx");
    Path ref = dev("squeezenet1_1.ref/test_data_set_0");
    Tensor expected = OnnxTensors.readPb(ref.resolve("output_0.pb"));
    for (String threads : List.of("1", "2")) {
      Path outDir = tmp.resolve("out-" + threads);
      Result r = run("eval", model.toString(), "--inputs", ref.toString(), "--outputs",
          outDir.toString(), "--threads", threads);
      assertEquals(Main.OK, r.exit(), r.err());
      var c = OrtVerifier.compareTensors("output", expected,
          OnnxTensors.readPb(outDir.resolve("output_0.pb")), OrtVerifier.Tolerance.DEFAULT);
      assertTrue(c.pass(), threads + " threads: " + c);
    }
    Result zero = run("eval", model.toString(), "--inputs", ref.toString(), "--outputs",
        tmp.resolve("z").toString(), "--threads", "0");
    assertEquals(Main.BAD_INPUT, zero.exit(), zero.err());
    assertTrue(zero.err().contains("--threads"), zero.err());
  }

  /** The repository root: the folder holding the {@code convoy} launcher. */
  private static Path repositoryRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isRegularFile(p.resolve("convoy"))) {
      p = p.getParent();
    }
    assertTrue(p != null, "no ./convoy launcher above " + Path.of("").toAbsolutePath());
    return p;
  }

  private record Launched(int exit, String out, String err) {}

  /**
   * Runs the real {@code ./convoy} script on this test's classpath (through {@code
   * CONVOY_ARGS_FILE}, skipping its build step, which {@code mvn test} has just done).
   */
  private Launched launch(String... args) throws Exception {
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Path argFile = Files.writeString(tmp.resolve("convoy.args"), "-cp \"" + cp + "\"\n");
    List<String> command = new java.util.ArrayList<>(List.of(repositoryRoot().resolve("convoy").toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(tmp.toFile());
    pb.environment().put("CONVOY_NO_BUILD", "1");
    pb.environment().put("CONVOY_ARGS_FILE", argFile.toString());
    pb.environment().put("CONVOY_JAVA_OPTS", "-Xmx1g");
    pb.redirectOutput(tmp.resolve("launcher.out").toFile());
    pb.redirectError(tmp.resolve("launcher.err").toFile());
    Process proc = pb.start();
    assertTrue(proc.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "./convoy hung");
    return new Launched(proc.exitValue(), Files.readString(tmp.resolve("launcher.out")),
        Files.readString(tmp.resolve("launcher.err")));
  }

  @Test
  void launcherRunsTheCommandLineAndPassesItsExitCodes() throws Exception {
    Path model = dev("optest_conv_bn_relu.onnx");
    Launched ok = launch("inspect", model.toString());
    assertEquals(Main.OK, ok.exit(), ok.err());
    assertTrue(ok.out().contains("BatchNormalization"), ok.out());
    Launched converted = launch("convert", model.toString(), "-o", "out/conv.cvy");
    assertEquals(Main.OK, converted.exit(), converted.err());
    assertEquals(ModelFormat.CVY, ModelFormat.sniff(tmp.resolve("out/conv.cvy")),
        "relative paths resolve against the caller's folder");
    Launched missing = launch("inspect", "nope.onnx");
    assertEquals(Main.BAD_INPUT, missing.exit(), missing.err());
    assertTrue(missing.err().startsWith("convoy: ") && missing.err().contains("nope.onnx"),
        missing.err());
    assertFalse(missing.err().contains("\tat "), "no stack trace: " + missing.err());
  }

  @Test
  void conformanceExitsOneOnAnyFailureUnlessTheBarIsLowered() throws Exception {
    Path suite = tmp.resolve("suite");
    for (String test : List.of("test_relu", "test_abs")) {
      Path from = TestData.nodeTests().resolve(test);
      Path to = Files.createDirectories(suite.resolve(test).resolve("test_data_set_0"));
      Files.copy(from.resolve("model.onnx"), suite.resolve(test).resolve("model.onnx"));
      for (String pb : List.of("input_0.pb", "output_0.pb")) {
        Files.copy(from.resolve("test_data_set_0").resolve(pb), to.resolve(pb));
      }
    }
    Path relu = suite.resolve("test_relu/test_data_set_0");
    Tensor right = OnnxTensors.readPb(relu.resolve("output_0.pb"));
    float[] wrong = right.toFloatArray();
    for (int i = 0; i < wrong.length; i++) {
      wrong[i] += 1;
    }
    OnnxTensors.writePb(Tensor.ofFloats(right.dims(), wrong),
        OnnxTensors.readPbName(relu.resolve("output_0.pb")), relu.resolve("output_0.pb"));

    Result strict = run("conformance", suite.toString());
    assertEquals(Main.CHECK_FAILED, strict.exit(), strict.out());
    assertTrue(strict.out().strip().endsWith("1 passed, 1 failed, 0 skipped"), strict.out());
    assertEquals(Main.OK, run("conformance", suite.toString(), "--min-pass", "0.5").exit());
    assertEquals(Main.CHECK_FAILED,
        run("conformance", suite.toString(), "--min-pass", "0.9").exit());
    assertEquals(Main.OK, run("conformance", suite.toString(), "--filter", "test_abs").exit());
  }
}
