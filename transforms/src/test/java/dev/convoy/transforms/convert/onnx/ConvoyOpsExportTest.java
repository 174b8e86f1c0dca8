package dev.convoy.transforms.convert.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.format.CvyReader;
import dev.convoy.ir.format.CvyWriter;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.ops.family.ConvoyFused;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.ir.verify.GraphVerifier;
import dev.convoy.transforms.testing.OrtFixture;
import dev.convoy.transforms.verify.OrtVerifier;
import dev.convoy.transforms.verify.SeededInputs;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every op of the {@code convoy} domain survives a {@code .cvy} round trip and exports to ONNX as
 * standard ops only, which ONNX Runtime loads and which compute what Convoy's evaluator computes
 * on the fused {@code .cvy} (rtol 1e-4, atol 1e-5): each activation, below and at the opset where
 * its standard op appears, and FusedConv's residual and its scale and shift after the activation.
 * ConcatShuffleSplit at the opsets where Split's sizes are an attribute, an input, and either.
 */
class ConvoyOpsExportTest {
  @RegisterExtension static final OrtFixture ORT = new OrtFixture();

  @TempDir Path tmp;

  private static final String CONV = """
      graph g (%%x: float32[1,3,6,6]) -> (%%y: float32[1,4,6,6]) {
        opset "" %d
        opset "convoy" 1
        init %%w: float32[4,3,3,3] = rand(108,7)
        init %%b: float32[4] = [0.1, -0.2, 0.3, -2.0]
        %%y = convoy::FusedConv(%%x, %%w, %%b) {pads=[1,1,1,1], activation="%s"%s} @fused
      }
      """;

  private static final String GEMM = """
      graph g (%%a: float32[3,5]) -> (%%y: float32[3,4]) {
        opset "" %d
        opset "convoy" 1
        init %%w: float32[4,5] = rand(20,8)
        init %%c: float32[4] = [0.5, -0.5, 1.0, -1.0]
        %%y = convoy::FusedGemm(%%a, %%w, %%c) {transB=1, alpha=0.5, activation="%s"%s} @fused
      }
      """;

  private static final String MATMUL = """
      graph g (%%a: float32[2,3,5]) -> (%%y: float32[2,3,4]) {
        opset "" %d
        opset "convoy" 1
        init %%w: float32[5,4] = rand(20,9)
        init %%c: float32[4] = [0.5, -0.5, 1.0, -1.0]
        %%y = convoy::FusedMatMul(%%a, %%w, %%c) {activation="%s"%s} @fused
      }
      """;

  private static final String SKIP_LN = """
      graph g (%%x: float32[2,3,8], %%s: float32[2,3,8]) -> (%%y: float32[2,3,8], %%sum: float32[2,3,8]) {
        opset "" %d
        opset "convoy" 1
        init %%gamma: float32[8] = rand(8,10)
        init %%beta: float32[8] = rand(8,11)
        init %%bias: float32[8] = rand(8,12)
        %%y, _, _, %%sum = convoy::SkipLayerNormalization(%%x, %%s, %%gamma, %%beta, %%bias) {epsilon=0.00001} @fused
      }
      """;

  private static final String GELU = """
      graph g (%%x: float32[2,3,8]) -> (%%y: float32[2,3,8]) {
        opset "" %d
        opset "convoy" 1
        %%y = convoy::Gelu(%%x) @fused
      }
      """;

  private static final String LAYER_NORM = """
      graph g (%%x: float32[2,3,8]) -> (%%y: float32[2,3,8]) {
        opset "" %d
        opset "convoy" 1
        init %%gamma: float32[3,8] = rand(24,13)
        init %%beta: float32[3,8] = rand(24,14)
        %%y = convoy::LayerNormalization(%%x, %%gamma, %%beta) {axis=-2, epsilon=0.001} @fused
      }
      """;

  /** ShuffleNet's unit tail: two inputs (one of two channels) into three equal parts. */
  private static final String CONCAT_SHUFFLE_SPLIT = """
      graph g (%%a: float32[2,4,3,5], %%b: float32[2,2,3,5]) -> (%%y: float32[2,2,3,5],
               %%z: float32[2,2,3,5], %%w: float32[2,2,3,5]) {
        opset "" %d
        opset "convoy" 1
        %%y, %%z, %%w = convoy::ConcatShuffleSplit(%%a, %%b) {axis=1, group=2} @fused
      }
      """;

  /** A Fire module's pool: two inputs of unequal channels, two images, stride 2, ceil_mode. */
  private static final String CONCAT_MAX_POOL = """
      graph g (%%a: float32[2,3,8,8], %%b: float32[2,5,8,8]) -> (%%y: float32[2,8,4,4]) {
        opset "" %d
        opset "convoy" 1
        %%y = convoy::ConcatMaxPool(%%a, %%b) {kernel_shape=[3,3], strides=[2,2], ceil_mode=1} @fused
      }
      """;

  /** The integer products; their outputs are compared in float (QGemm's after dequantizing). */
  private static final String INTEGER_TO_FLOAT = """
      graph g (%%a: uint8[2,3,4]) -> (%%y: float32[2,3,3], %%z: float32[2,3,3]) {
        opset "" %d
        opset "convoy" 1
        init %%w: int8[4,3] = [12, -7, 100, -128, 5, 33, 64, -1, 0, 9, -90, 127]
        init %%az: uint8[] = [131]
        init %%wz: int8[3] = [0, 0, 0]
        init %%as: float32[] = [0.02]
        init %%ws: float32[3] = [0.004, 0.002, 0.005]
        init %%bias: float32[3] = [0.5, -0.25, 1.5]
        %%y = convoy::MatMulIntegerToFloat(%%a, %%w, %%as, %%ws, %%az, %%wz, %%bias) @fused
        %%z = convoy::MatMulIntegerToFloat(%%a, %%w, %%as, %%ws) @fused2
      }
      """;

  private static final String DYNAMIC_QUANTIZE = """
      graph g (%%x: float32[2,3,4]) -> (%%y: float32[2,3,3]) {
        opset "" %d
        opset "convoy" 1
        init %%w: int8[4,3] = [12, -7, 100, -128, 5, 33, 64, -1, 0, 9, -90, 127]
        init %%wz: int8[] = [0]
        init %%ws: float32[3] = [0.004, 0.002, 0.005]
        init %%bias: float32[3] = [0.5, -0.25, 1.5]
        %%y = convoy::DynamicQuantizeMatMul(%%x, %%w, %%ws, %%wz, %%bias) @fused
      }
      """;

  private static final String QGEMM = """
      graph g (%%a: uint8[2,4]) -> (%%y: float32[2,3], %%f: float32[2,3]) {
        opset "" %d
        opset "convoy" 1
        init %%w: int8[3,4] = [12, -7, 100, -128, 5, 33, 64, -1, 0, 9, -90, 127]
        init %%az: uint8[] = [131]
        init %%wz: int8[3] = [0, 0, 0]
        init %%as: float32[] = [0.02]
        init %%ws: float32[3] = [0.004, 0.002, 0.005]
        init %%c: int32[3] = [300, -1200, 45]
        init %%ys: float32[] = [0.01]
        init %%yz: uint8[] = [120]
        %%q: uint8[2,3] = convoy::QGemm(%%a, %%as, %%az, %%w, %%ws, %%wz, %%c, %%ys, %%yz) {transB=1} @fused
        %%y = DequantizeLinear(%%q, %%ys, %%yz) @dq
        %%f = convoy::QGemm(%%a, %%as, %%az, %%w, %%ws, %%wz, %%c) {transB=1, alpha=0.5} @fused2
      }
      """;

  private static final String QLINEAR_GAP = """
      graph g (%%x: uint8[2,3,4,5]) -> (%%y: float32[2,3,1,1]) {
        opset "" %d
        opset "convoy" 1
        init %%xs: float32[] = [0.03]
        init %%xz: uint8[] = [7]
        init %%ys: float32[] = [0.02]
        init %%yz: uint8[] = [3]
        %%q: uint8[2,3,1,1] = convoy::QLinearGlobalAveragePool(%%x, %%xs, %%xz, %%ys, %%yz) @fused
        %%y = DequantizeLinear(%%q, %%ys, %%yz) @dq
      }
      """;

  private static final String ATTENTION = """
      graph g (%%q: float32[2,3,5,4], %%kt: float32[2,3,4,6], %%v: float32[1,3,6,8],
               %%m: float32[2,1,1,6]) -> (%%y: float32[2,3,5,8]) {
        opset "" %d
        opset "convoy" 1
        %%y = convoy::Attention(%%q, %%kt, %%v, %%m) {scale=0.35} @fused
      }
      """;

  private static final List<String[]> ACTIVATIONS = List.of(
      new String[] {"", ""},
      new String[] {"Relu", ""},
      new String[] {"LeakyRelu", ", activation_params=[0.2]"},
      new String[] {"Sigmoid", ""},
      new String[] {"Tanh", ""},
      new String[] {"Clip", ", activation_params=[0.0, 0.5]"},
      new String[] {"HardSigmoid", ", activation_params=[0.3, 0.4]"},
      new String[] {"HardSwish", ""},
      new String[] {"Gelu", ""},
      new String[] {"Swish", ""});

  @TestFactory
  Stream<DynamicTest> exportedExpansionMatchesTheFusedKernel() {
    Stream.Builder<DynamicTest> tests = Stream.builder();
    for (int opset : new int[] {10, 13, 20}) {
      for (String[] act : ACTIVATIONS) {
        for (var entry : Map.of("conv", CONV, "gemm", GEMM, "matmul", MATMUL).entrySet()) {
          String text = String.format(entry.getValue(), opset, act[0], act[1]);
          tests.add(DynamicTest.dynamicTest(entry.getKey() + "-" + act[0] + "@" + opset,
              () -> check(text)));
        }
      }
    }
    for (int opset : new int[] {10, 13}) {
      // A learnable affine block after the activation: Mul then Add of scalars.
      tests.add(DynamicTest.dynamicTest("conv-post-affine@" + opset, () -> check(String.format(
          CONV, opset, "HardSwish", ", post_scale=-0.4763231, post_shift=0.25"))));
      tests.add(DynamicTest.dynamicTest("conv-post-shift@" + opset, () -> check(String.format(
          CONV, opset, "Relu", ", post_shift=-1.5"))));
      // A residual Z before the activation.
      tests.add(DynamicTest.dynamicTest("conv-residual@" + opset, () -> check(String.format(
          CONV, opset, "Relu", "").replace("%b) {", "%b, %z) {")
          .replace("(%x: float32[1,3,6,6])", "(%x: float32[1,3,6,6], %z: float32[1,4,6,6])"))));
    }
    for (int opset : new int[] {13, 17}) {
      tests.add(DynamicTest.dynamicTest("skip-layer-norm@" + opset,
          () -> check(String.format(SKIP_LN, opset))));
      tests.add(DynamicTest.dynamicTest("layer-norm@" + opset,
          () -> check(String.format(LAYER_NORM, opset))));
      // control-31575: a float16 LayerNormalization below 17 expands with a float16 epsilon.
      tests.add(DynamicTest.dynamicTest("layer-norm-float16@" + opset,
          () -> check(String.format(LAYER_NORM, opset).replace("float32", "float16"), HALF)));
      tests.add(DynamicTest.dynamicTest("layer-norm-relu@" + opset,
          () -> check(String.format(LAYER_NORM, opset).replace("epsilon=0.001}",
              "epsilon=0.001, activation=\"Relu\"}"))));
      tests.add(DynamicTest.dynamicTest("layer-norm-clip@" + opset,
          () -> check(String.format(LAYER_NORM, opset).replace("epsilon=0.001}",
              "epsilon=0.001, activation=\"Clip\", activation_params=[-0.5, 0.25]}"))));
    }
    for (int opset : new int[] {11, 13, 18}) {
      tests.add(DynamicTest.dynamicTest("concat-shuffle-split@" + opset,
          () -> check(String.format(CONCAT_SHUFFLE_SPLIT, opset))));
    }
    for (int opset : new int[] {10, 13}) {
      tests.add(DynamicTest.dynamicTest("concat-max-pool@" + opset,
          () -> check(String.format(CONCAT_MAX_POOL, opset))));
    }
    for (int opset : new int[] {13, 20}) {
      tests.add(DynamicTest.dynamicTest("gelu@" + opset, () -> check(String.format(GELU, opset))));
      tests.add(DynamicTest.dynamicTest("matmul-integer-to-float@" + opset,
          () -> check(String.format(INTEGER_TO_FLOAT, opset))));
      tests.add(DynamicTest.dynamicTest("dynamic-quantize-matmul@" + opset,
          () -> check(String.format(DYNAMIC_QUANTIZE, opset))));
      tests.add(DynamicTest.dynamicTest("qgemm@" + opset,
          () -> check(String.format(QGEMM, opset))));
      tests.add(DynamicTest.dynamicTest("qlinear-global-average-pool@" + opset,
          () -> check(String.format(QLINEAR_GAP, opset))));
      tests.add(DynamicTest.dynamicTest("qdq-global-average-pool@" + opset,
          () -> check(String.format(QLINEAR_GAP, opset)
              .replace("QLinearGlobalAveragePool", "QdqGlobalAveragePool"))));
    }
    for (int opset : new int[] {10, 13}) {
      tests.add(DynamicTest.dynamicTest("attention@" + opset,
          () -> check(String.format(ATTENTION, opset))));
    }
    return tests.build();
  }

  /** Four float16 steps: the fused float16 op computes in float32 inside, its expansion not. */
  private static final OrtVerifier.Tolerance HALF =
      new OrtVerifier.Tolerance(4.0 / 1024, 4.0 / 1024);

  private void check(String text) throws Exception {
    check(text, OrtVerifier.Tolerance.DEFAULT);
  }

  private void check(String text, OrtVerifier.Tolerance tolerance) throws Exception {
    Graph fused = GraphParser.parse(withRandomWeights(text));
    assertEquals(List.of(), GraphVerifier.verify(fused));
    Path cvy = tmp.resolve("m.cvy");
    CvyWriter.write(fused, cvy);
    Graph stored = CvyReader.read(cvy);
    assertTrue(ExpandConvoyOps.holdsConvoyOps(stored), ".cvy lost the convoy ops");
    Map<String, Tensor> inputs = SeededInputs.generate(stored, Map.of());
    Map<String, Tensor> convoy = Evaluator.standard().runTensors(stored, inputs);

    byte[] onnx = OnnxExporter.toBytes(stored);
    Graph exported = OnnxImporter.importBytes(onnx, "exported", null);
    exported.forEachNode(n -> assertFalse(n.domain().equals(ConvoyFused.DOMAIN),
        "exported model holds " + n));
    assertFalse(exported.opsets().containsKey(ConvoyFused.DOMAIN));
    Map<String, Tensor> ort = ORT.verifier().run(onnx, inputs);
    var v = OrtVerifier.compareOutputs(ort, convoy, tolerance);
    assertTrue(v.pass(), v.firstFailure() + "\n" + exported);
  }

  /** {@code rand(N,SEED)} replaced by a literal of N seeded values in [-1, 1]. */
  private static String withRandomWeights(String text) {
    Matcher m = Pattern.compile("rand\\((\\d+),(\\d+)\\)").matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      Random r = new Random(Long.parseLong(m.group(2)));
      StringBuilder lit = new StringBuilder("[");
      for (int i = 0; i < Integer.parseInt(m.group(1)); i++) {
        lit.append(i == 0 ? "" : ", ").append(r.nextFloat() * 2 - 1);
      }
      m.appendReplacement(out, lit.append("]").toString());
    }
    m.appendTail(out);
    return out.toString();
  }
}
