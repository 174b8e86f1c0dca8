package dev.convoy.runners;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.testing.TestData;
import dev.convoy.transforms.convert.Models;
import dev.convoy.transforms.optimize.layout.IoLayout;
import dev.convoy.transforms.verify.OrtVerifier;
import dev.convoy.transforms.verify.SeededInputs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --io-layout nhwc}: {@code optimize} writes an O3 .cvy with NHWC inputs and verifies it
 * (transposed inputs in, outputs transposed back); {@code run} writes such artifacts, for models
 * it cuts into pieces too, and its verification passes (a mismatch exits 1); anything but O3 .cvy
 * is bad input.
 */
class IoLayoutCliTest {
  @TempDir Path tmp;

  private static final Path MOBILENET = TestData.devModels().resolve("mobilenet_v2.onnx");
  private static final Path CONV_BN_RELU =
      TestData.devModels().resolve("optest_conv_bn_relu.onnx");

  @Test
  void o3CvyTakesNhwcInputsAndSaysSo() {
    Path out = tmp.resolve("m.cvy");
    var r = CliTest.run("optimize", MOBILENET.toString(), "-o", out.toString(), "--level", "O3",
        "--io-layout", "nhwc");
    assertEquals(Main.OK, r.exit(), r.out() + r.err());
    Graph g = Models.load(out);
    assertEquals("inputs=input;outputs=", g.metadata().get(IoLayout.KEY));
    Shape s = g.inputs().get(0).tensorType().shape();
    assertEquals(3, s.dim(3).size(), "channels last: " + s);
  }

  @Test
  void o3CvyWithNhwcIoVerifiesAgainstTheNchwOriginal() {
    var r = CliTest.run("optimize", MOBILENET.toString(), "-o", tmp.resolve("m.cvy").toString(),
        "--level", "O3", "--io-layout", "nhwc", "--verify");
    assertEquals(Main.OK, r.exit(), r.out() + r.err());
    assertTrue(r.out().contains("inputs [input] and outputs [] are NHWC"), r.out());
    assertTrue(r.out().contains("verify: pass"), r.out());
  }

  @Test
  void runWritesNhwcArtifactsThatVerify() throws IOException {
    Path out = tmp.resolve("out");
    var r = runNhwc(CONV_BN_RELU, "conv", out, "--latency-runs", "1");
    assertEquals(Main.OK, r.exit(), r.out() + r.err());
    Graph g = Models.load(out.resolve("models/conv.O3.cvy"));
    String changed = g.metadata().get(IoLayout.KEY);
    assertTrue(changed != null && changed.startsWith("inputs=") && !changed.equals(
        "inputs=;outputs="), "no NHWC input or output: " + changed);
  }

  /**
   * A model the pipeline cuts into pieces: the layout pass runs per piece, the NHWC interface on
   * the stitched model, which records it; no Transpose is left at the cuts or the boundary; the
   * pipeline's verification (fed transposed inputs) accepts it, and so does the evaluator on
   * NHWC inputs against the original on NCHW ones.
   */
  @Test
  void runWritesAPartitionedModelWithNhwcInputsThatVerifies() throws IOException {
    Path out = tmp.resolve("out");
    var r = runNhwc(MOBILENET, "mobilenet", out, "--partition-threshold", "60",
        "--latency-runs", "0");
    assertEquals(Main.OK, r.exit(), r.out() + r.err());
    assertTrue(r.out().contains("verified"), r.out());
    Graph g = Models.load(out.resolve("models/mobilenet.O3.cvy"));
    assertEquals("inputs=input;outputs=", g.metadata().get(IoLayout.KEY));
    Shape s = g.inputs().get(0).tensorType().shape();
    assertArrayEquals(new long[] {1, 224, 224, 3}, s.sizes());
    assertEquals(0, g.opHistogram().getOrDefault("Transpose", 0), "Transposes left at the cuts");
    Graph original = Models.load(MOBILENET);
    Map<String, Tensor> nchw = SeededInputs.generate(original, Map.of());
    Tensor want = Evaluator.standard().runTensors(original, nchw).get("output");
    Tensor got = Evaluator.standard().runTensors(g, IoLayout.inputsFor(g, nchw)).get("output");
    var c = OrtVerifier.compareTensors("output", want, got, OrtVerifier.Tolerance.DEFAULT);
    assertTrue(c.pass(), c.toString());
  }

  /** {@code run --level O3 --target cvy --io-layout nhwc} over a zoo of {@code model} alone. */
  private CliTest.Result runNhwc(Path model, String name, Path out, String... more)
      throws IOException {
    Path zoo = Files.createDirectories(tmp.resolve("zoo"));
    Files.copy(model, zoo.resolve(name + ".onnx"));
    List<String> args = new ArrayList<>(List.of("run", zoo.toString(), "--out", out.toString(),
        "--level", "O3", "--target", "cvy", "--io-layout", "nhwc"));
    args.addAll(List.of(more));
    return CliTest.run(args.toArray(String[]::new));
  }

  @Test
  void runRefusesNhwcBelowO3() {
    var r = CliTest.run("run", tmp.toString(), "--out", tmp.resolve("o").toString(),
        "--level", "O2", "--io-layout", "nhwc");
    assertEquals(Main.BAD_INPUT, r.exit(), r.err());
    assertTrue(r.err().contains("--io-layout nhwc needs --level O3 and --target cvy"), r.err());
  }

  @Test
  void nhwcNeedsAnO3CvyOutput() {
    var r = CliTest.run("optimize", MOBILENET.toString(), "-o", tmp.resolve("m.onnx").toString(),
        "--level", "O3", "--io-layout", "nhwc");
    assertEquals(Main.BAD_INPUT, r.exit(), r.err());
    assertTrue(r.err().contains("--io-layout nhwc needs --level O3 and a .cvy output"), r.err());
  }
}
