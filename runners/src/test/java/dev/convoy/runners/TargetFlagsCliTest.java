package dev.convoy.runners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.testing.TestData;
import dev.convoy.transforms.convert.Models;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --onnx-ops} and {@code --target-opset} from the command line: optimize, run, bench. */
class TargetFlagsCliTest {
  @TempDir Path tmp;

  private static final Path GELU = TestData.devModels().resolve("optest_gelu_erf_chain.onnx");

  @Test
  void standardTargetKeepsVendorOpsOut() {
    Path out = tmp.resolve("std.onnx");
    var r = CliTest.run("optimize", GELU.toString(), "-o", out.toString(), "--level", "O2",
        "--verify");
    assertEquals(Main.OK, r.exit(), r.out() + r.err());
    Graph g = Models.load(out);
    assertTrue(g.opHistogram().keySet().stream().noneMatch(k -> k.contains("::")),
        g.opHistogram().toString());
  }

  @Test
  void ortOpsAllowOnnxRuntimesGelu() {
    Path out = tmp.resolve("ort.onnx");
    var r = CliTest.run("optimize", GELU.toString(), "-o", out.toString(), "--level", "O2",
        "--onnx-ops", "ort", "--verify");
    assertEquals(Main.OK, r.exit(), r.out() + r.err());
    // ONNX Runtime's Gelu, fused with the bias Add before it into its BiasGelu.
    assertEquals(Integer.valueOf(1),
        Models.load(out).opHistogram().get("com.microsoft::BiasGelu"));
  }

  @Test
  void cvyOutputHoldsConvoyOpsAndConvertsBackToStandardOnnx() {
    Path cvy = tmp.resolve("fused.cvy");
    var r = CliTest.run("optimize", GELU.toString(), "-o", cvy.toString(), "--level", "O2",
        "--verify");
    assertEquals(Main.OK, r.exit(), r.out() + r.err());
    assertTrue(Models.load(cvy).opHistogram().keySet().stream()
        .anyMatch(k -> k.startsWith("convoy::")), Models.load(cvy).opHistogram().toString());
    Path onnx = tmp.resolve("expanded.onnx");
    var c = CliTest.run("convert", cvy.toString(), "-o", onnx.toString(), "--verify",
        "--input-shape", "x=2x3x64");
    assertEquals(Main.OK, c.exit(), c.out() + c.err());
    Graph g = Models.load(onnx);
    assertTrue(g.opHistogram().keySet().stream().noneMatch(k -> k.contains("::")),
        g.opHistogram().toString());
  }

  @Test
  void targetOpsetConvertsAndUnlocksTheStandardGelu() {
    Path out = tmp.resolve("o20.onnx");
    var r = CliTest.run("optimize", GELU.toString(), "-o", out.toString(), "--level", "O2",
        "--target-opset", "20", "--verify");
    assertEquals(Main.OK, r.exit(), r.out() + r.err());
    Graph g = Models.load(out);
    assertEquals(20, g.opsetVersion(""));
    assertEquals(Integer.valueOf(1), g.opHistogram().get("Gelu"));
  }

  @Test
  void impossibleConversionIsBadInputNamingTheFile() {
    Path qdq = TestData.devModels().resolve("small_cnn_qdq.onnx");
    var r = CliTest.run("optimize", qdq.toString(), "-o", tmp.resolve("q.onnx").toString(),
        "--target-opset", "11");
    assertEquals(Main.BAD_INPUT, r.exit(), r.err());
    assertTrue(r.err().contains("small_cnn_qdq.onnx") && r.err().contains("opset"), r.err());
  }

  @Test
  void unknownOnnxOpsIsBadInput() {
    var r = CliTest.run("optimize", GELU.toString(), "-o", tmp.resolve("x.onnx").toString(),
        "--onnx-ops", "tensorrt");
    assertEquals(Main.BAD_INPUT, r.exit(), r.err());
    assertTrue(r.err().contains("tensorrt"), r.err());
  }

  @Test
  void runConvertsEveryModelToTheTargetOpset() throws Exception {
    Path zoo = java.nio.file.Files.createDirectories(tmp.resolve("zoo"));
    java.nio.file.Files.copy(GELU, zoo.resolve("gelu.onnx"));
    java.nio.file.Files.copy(GELU.resolveSibling("optest_gelu_erf_chain.onnx.oracle.args"),
        zoo.resolve("gelu.onnx.oracle.args"));
    Path out = tmp.resolve("out");
    var r = CliTest.run("run", zoo.toString(), "--out", out.toString(), "--level", "O2",
        "--target", "onnx", "--target-opset", "20", "--latency-runs", "0");
    assertEquals(Main.OK, r.exit(), r.out() + r.err());
    Graph g = Models.load(out.resolve("models/gelu.O2.onnx"));
    assertEquals(20, g.opsetVersion(""));
    assertEquals(Integer.valueOf(1), g.opHistogram().get("Gelu"));
  }

  @Test
  void benchO2SuiteOptimizesForTheTargetOpset() {
    var r = CliTest.run("bench", GELU.toString(), "--suite", "O2", "--reps", "1", "--warmup", "0",
        "--target-opset", "20");
    assertEquals(Main.OK, r.exit(), r.out() + r.err());
    String row = r.out().lines().filter(l -> l.startsWith("| optest_gelu_erf_chain.onnx"))
        .findFirst().orElseThrow(() -> new AssertionError(r.out()));
    String[] cells = row.split("\\|");
    assertEquals("10", cells[3].trim(), row);
    assertEquals("6", cells[4].trim(), row);
    assertEquals("yes", cells[8].trim(), row);
  }
}
