package dev.convoy.transforms.optimize.layout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.format.CvyReader;
import dev.convoy.ir.format.CvyWriter;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.ops.NdArray;
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
import dev.convoy.transforms.optimize.fuse.ReplaceConvWinograd;
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
import java.util.Set;
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
 * --verify} judges it (pass or runtime drift), its outputs in the evaluator equal those of the
 * O2 {@code .cvy} with {@code replace-conv-winograd} disabled bit for bit (the NHWC kernels add in the NCHW kernels' order, so the layout
 * adds no error, and where the evaluator and ONNX Runtime drift apart on the original, as on
 * yolox_nano, O3 is judged runtime drift adding 0), and its ONNX export (NHWC ops expanded) loads
 * in ONNX Runtime and agrees with the original there.
 */
class O3LayoutDevModelsTest {
  @RegisterExtension static final OrtFixture ORT = new OrtFixture();

  static final List<String> CNNS = List.of("mobilenet_v2", "squeezenet1_1", "light_resnet50",
      "light_inception_v1", "shufflenet_v2_x0_5_nofold", "yolox_nano", "ulfd_rfb_320",
      "ppocrv4_det", "super_resolution");

  private static final OptimizeOptions O3_CVY =
      OptimizeOptions.atLevel(Level.O3).withTarget(Target.CVY);
  /**
   * O2 without {@code replace-conv-winograd}: O3 keeps every conv on the direct (NHWC) kernels,
   * whose sums are O2's direct kernels' sums; Winograd's are not (its own tests bound them).
   */
  private static final OptimizeOptions O2_CVY_DIRECT = new OptimizeOptions(Level.O2, Set.of(),
      Set.of(ReplaceConvWinograd.NAME), null, Map.of(), false, OptimizeOptions.DEFAULT_FOLD_CAP,
      Target.CVY);

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
      assertTrue(j.accepted(), name + ": evaluator on the O3 .cvy: " + j.summary());
      Map<String, Tensor> o2 = Evaluator.standard()
          .runTensors(Optimizer.optimize(original, O2_CVY_DIRECT).graph(), inputs);
      Map<String, Tensor> o3 = Evaluator.standard().runTensors(written, inputs);
      for (Value out : original.outputs()) {
        assertArrayEquals(bits(o2.get(out.name())), bits(o3.get(out.name())),
            name + ": output " + out.name() + " of the O3 .cvy differs from O2's in the evaluator");
      }
      byte[] exported = OnnxExporter.toBytes(written);
      var v = ORT.verifier().compare(Files.readAllBytes(model), exported, inputs);
      assertTrue(v.pass(), name + ": the O3 .cvy exported to ONNX: " + v.firstFailure());
    }));
  }

  /** The float32 elements of {@code t} as their bits (every NaN as one). */
  private static int[] bits(Tensor t) {
    float[] f = NdArray.fromTensor(t).toFloats();
    int[] b = new int[f.length];
    for (int i = 0; i < f.length; i++) {
      b[i] = Float.floatToIntBits(f[i]);
    }
    return b;
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
