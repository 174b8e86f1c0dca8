package dev.convoy.transforms.optimize.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.format.CvyReader;
import dev.convoy.ir.format.CvyWriter;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.testing.TestData;
import dev.convoy.ir.verify.GraphVerifier;
import dev.convoy.transforms.convert.ModelFormat;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.OptimizeResult;
import dev.convoy.transforms.optimize.Optimizer;
import dev.convoy.transforms.optimize.Target;
import dev.convoy.transforms.testing.OrtFixture;
import dev.convoy.transforms.verify.Judgement;
import dev.convoy.transforms.verify.ModelVerification;
import dev.convoy.transforms.verify.Oracle;
import dev.convoy.transforms.verify.OracleArgs;
import dev.convoy.transforms.verify.SeededInputs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * O3 for the {@code cvy} target on the dev CNNs: the layout pass leaves Transposes only at the
 * graph boundary (no Transpose of any rank but at most one per 4-D graph input and output:
 * ShuffleNet's channel shuffles become {@code convoy::ChannelShuffle} on the channels-last axis,
 * YOLOX's heads meet the output's Transpose), every Conv is channels-last, the written {@code
 * .cvy} run by the evaluator agrees with ONNX Runtime on the original as {@code optimize
 * --verify} judges it (pass or drift), and its ONNX export (NHWC
 * ops expanded) loads in ONNX Runtime and agrees with the original there.
 */
class O3LayoutDevModelsTest {
  @RegisterExtension static final OrtFixture ORT = new OrtFixture();

  static final List<String> CNNS = List.of("mobilenet_v2", "squeezenet1_1", "light_resnet50",
      "light_inception_v1", "shufflenet_v2_x0_5_nofold", "yolox_nano", "ulfd_rfb_320",
      "ppocrv4_det", "super_resolution");

  /**
   * Models whose O3 {@code .cvy} differs from the original beyond the verification tolerance in
   * Convoy's evaluator itself, which is then no runtime drift but the layout's own float
   * reassociation, with the measured bound (max abs error against ONNX Runtime on the original,
   * rounded up) and why. {@code yolox_nano}: channels-last convolutions sum the channels in
   * another order; near-zero elements of box coordinates of magnitude ~100 move by up to
   * 1.62e-4 at the first layout Transpose that convert-to-nhwc restores ({@code optimize --level
   * O3 --target cvy --verify} names that pass), 1.68e-4 at the output, measured 2026-12-05;
   * 2.10e-4 since the channels-last GEMM sums with fused multiply-adds (one rounding per term
   * instead of two), against 2.06e-4 between Convoy's evaluator on the original (O0, NCHW) and
   * ONNX Runtime, so no more than the drift these near-zero elements already show.
   */
  static final Map<String, Double> REASSOCIATION = Map.of("yolox_nano", 2.5e-4);

  private static final OptimizeOptions O3_CVY =
      OptimizeOptions.atLevel(Level.O3).withTarget(Target.CVY);

  @TempDir Path dir;

  @TestFactory
  Stream<DynamicTest> o3CvyKeepsTransposesAtTheBoundaryAndAgreesWithOrt() {
    return CNNS.stream().map(name -> DynamicTest.dynamicTest(name, () -> {
      Path model = TestData.devModels().resolve(name + ".onnx");
      Graph original = OnnxImporter.importFile(model);
      OptimizeResult r = Optimizer.optimize(original, O3_CVY);
      assertTrue(r.converged(), name + ": pipeline did not settle: " + r.notes());
      Graph g = r.graph();
      assertEquals(List.of(), GraphVerifier.verify(g), name + ": invalid result");

      assertTrue(transposes(g) <= boundary4d(g), name + ": " + transposes(g)
          + " Transposes for " + boundary4d(g) + " 4-D graph inputs and outputs");
      assertEquals(0, count(g, "", "Conv") + count(g, "", "ConvTranspose")
          + count(g, OpCatalog.CONVOY_DOMAIN, "FusedConv"),
          name + ": a Conv stayed channels-first");

      Path cvy = dir.resolve(name + ".cvy");
      CvyWriter.write(g, cvy);
      Graph written = CvyReader.read(cvy);
      Map<String, Tensor> inputs =
          SeededInputs.generate(original, OracleArgs.read(model).shapes());
      Judgement j = ModelVerification.judge(Oracle.choose(ModelFormat.ONNX, ModelFormat.CVY),
          model, original, written, inputs, ORT.verifier(), Evaluator.standard(), () -> null);
      Double bound = REASSOCIATION.get(name);
      assertTrue(j.accepted() || bound != null && j.drift() == null
          && j.outputs().outputs().stream().allMatch(o -> o.problem() == null)
          && j.outputs().maxAbsError() <= bound,
          name + ": evaluator on the O3 .cvy: " + j.summary());
      byte[] exported = OnnxExporter.toBytes(written);
      var v = ORT.verifier().compare(Files.readAllBytes(model), exported, inputs);
      assertTrue(v.pass(), name + ": the O3 .cvy exported to ONNX: " + v.firstFailure());
    }));
  }

  /** The Transposes of {@code g}, of any rank. */
  static int transposes(Graph g) {
    return count(g, "", "Transpose");
  }

  /** The 4-D graph inputs (not initializers) and outputs of {@code g}. */
  static int boundary4d(Graph g) {
    int n = 0;
    for (Value v : g.inputs()) {
      n += v.constant() == null && Facts.rank(v) == 4 ? 1 : 0;
    }
    for (Value v : g.outputs()) {
      n += Facts.rank(v) == 4 ? 1 : 0;
    }
    return n;
  }

  private static int count(Graph g, String domain, String op) {
    int[] n = {0};
    g.forEachNode(node -> n[0] += node.domain().equals(domain) && node.opType().equals(op)
        ? 1 : 0);
    return n[0];
  }
}
