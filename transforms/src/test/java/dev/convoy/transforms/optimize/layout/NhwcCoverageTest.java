package dev.convoy.transforms.optimize.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.Optimizer;
import dev.convoy.transforms.optimize.Target;
import dev.convoy.transforms.testing.OrtFixture;
import dev.convoy.transforms.verify.OrtVerifier;
import dev.convoy.transforms.verify.SeededInputs;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The layout pass on small synthetic CNNs built around each layout-sensitive op it converts (odd
 * sizes, groups, strides, asymmetric pads, a standalone BatchNormalization that no Conv absorbs,
 * InstanceNormalization, a ShuffleNet unit with Split and Concat, LRN, DepthToSpace, nearest
 * Resize): at O3 for {@code cvy} none of those ops stays channels-first, no Transpose remains but
 * one per 4-D graph input and output, the evaluator on the result agrees with ONNX Runtime on the
 * original, and the result exported to ONNX (NHWC ops expanded) loads in ONNX Runtime and agrees.
 */
class NhwcCoverageTest {
  @RegisterExtension static final OrtFixture ORT = new OrtFixture();

  private static final OptimizeOptions O3_CVY =
      OptimizeOptions.atLevel(Level.O3).withTarget(Target.CVY);

  /**
   * Ops that must not stay standard (channels-first) at O3; nearest Resize stays standard on the
   * NHWC data with its scales permuted, which the Transpose count checks.
   */
  private static final List<String> SENSITIVE = List.of("Conv", "BatchNormalization",
      "InstanceNormalization", "LRN", "DepthToSpace", "SpaceToDepth", "MaxPool", "GridSample");

  private static final String RESIZE = """
      graph g (%x: float32[1,3,5,7]) -> (%y) {
        opset "" 13
        init %w: float32[6,3,3,3] = W
        init %w2: float32[2,6,1,1] = W
        init %roi: float32[0] = []
        init %scales: float32[4] = [1.0, 1.0, 2.0, 1.5]
        %c = Conv(%x, %w) {pads=[1,1,1,1]} @conv
        %r = Resize(%c, %roi, %scales) {MODE} @resize
        %y = Conv(%r, %w2) @conv2
      }
      """;

  private static final Map<String, String> MODELS = Map.of(
      "grid_sample", """
          graph g (%x: float32[1,3,6,7], %grid: float32[1,5,4,2]) -> (%y: float32[1,2,5,4]) {
            opset "" 16
            init %w: float32[4,3,3,3] = W
            init %w2: float32[2,4,1,1] = W
            %c = Conv(%x, %w) {pads=[1,1,1,1]} @conv
            %s = GridSample(%c, %grid) {mode="bicubic", padding_mode="border"} @sample
            %y = Conv(%s, %w2) @conv2
          }
          """,
      "resize_linear", RESIZE.replace("MODE", "mode=\"linear\""),
      "resize_cubic", RESIZE.replace("MODE", "mode=\"cubic\""),
      "resize_linear_asymmetric", RESIZE.replace("MODE",
          "mode=\"linear\", coordinate_transformation_mode=\"asymmetric\""),
      "batchnorm", """
          graph g (%x: float32[1,5,7,9]) -> (%y: float32[1,4,8,8]) {
            opset "" 13
            init %w: float32[6,5,3,3] = W
            init %w2: float32[4,6,1,1] = W
            init %s: float32[6] = W
            init %b: float32[6] = W
            init %m: float32[6] = W
            init %v: float32[6] = P
            %c = Conv(%x, %w) {pads=[1,0,2,1]} @conv
            %r = Relu(%c) @relu
            %n = BatchNormalization(%r, %s, %b, %m, %v) {epsilon=0.001} @bn
            %y = Conv(%n, %w2) @conv2
          }
          """,
      "instancenorm", """
          graph g (%x: float32[2,4,9,6]) -> (%y: float32[2,8,5,7]) {
            opset "" 13
            init %w: float32[8,2,3,3] = W
            init %s: float32[8] = W
            init %b: float32[8] = W
            %c = Conv(%x, %w) {group=2, pads=[0,1,1,2], strides=[2,1]} @conv
            %n = InstanceNormalization(%c, %s, %b) {epsilon=0.01} @in
            %y = Relu(%n) @relu
          }
          """,
      "shuffle", """
          graph g (%x: float32[1,4,5,7]) -> (%y: float32[1,3,5,7]) {
            opset "" 13
            init %w: float32[8,4,1,1] = W
            init %w1: float32[4,4,3,3] = W
            init %w2: float32[3,8,1,1] = W
            init %groups: int64[5] = [1, 2, 4, 5, 7]
            init %flat: int64[4] = [1, 8, 5, 7]
            init %halves: int64[2] = [4, 4]
            %c = Conv(%x, %w) @conv
            %g = Reshape(%c, %groups) @split_groups
            %t = Transpose(%g) {perm=[0,2,1,3,4]} @shuffle
            %f = Reshape(%t, %flat) @merge_groups
            %a, %b = Split(%f, %halves) {axis=1} @halves
            %bc = Conv(%b, %w1) {pads=[1,1,1,1]} @branch
            %br = Relu(%bc) @branch_relu
            %j = Concat(%a, %br) {axis=1} @join
            %y = Conv(%j, %w2) @head
          }
          """,
      "lrn_depth_to_space_resize", """
          graph g (%x: float32[1,8,5,6]) -> (%y: float32[1,4,20,24]) {
            opset "" 13
            init %w: float32[8,8,1,1] = W
            init %w2: float32[4,2,3,3] = W
            init %roi: float32[0] = []
            init %scales: float32[4] = [1.0, 1.0, 2.0, 2.0]
            %c = Conv(%x, %w) @conv
            %l = LRN(%c) {size=3} @lrn
            %d = DepthToSpace(%l) {blocksize=2, mode="CRD"} @d2s
            %e = Conv(%d, %w2) {pads=[1,1,1,1]} @conv2
            %p = MaxPool(%e) {kernel_shape=[3,3], pads=[1,1,1,1], strides=[1,1]} @pool
            %y = Resize(%p, %roi, %scales) {mode="nearest"} @resize
          }
          """);

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"batchnorm, NhwcBatchNormalization", "instancenorm, NhwcInstanceNormalization",
      "shuffle, ConcatShuffleSplit", "lrn_depth_to_space_resize, NhwcDepthToSpace",
      "resize_linear, NhwcConv", "resize_cubic, NhwcConv", "resize_linear_asymmetric, NhwcConv",
      "grid_sample, NhwcGridSample"})
  void o3CvyIsChannelsLastAndAgreesWithOrt(String name, String nhwcOp) {
    Graph original = GraphParser.parse(withWeights(MODELS.get(name), new Random(name.hashCode())));
    byte[] onnx = OnnxExporter.toBytes(original);
    Graph g = Optimizer.optimize(original.copy(), O3_CVY).graph();
    assertTrue(g.opHistogram().getOrDefault("convoy::" + nhwcOp, 0) > 0,
        name + ": no " + nhwcOp + " in " + g.opHistogram());
    Map<String, Tensor> inputs = SeededInputs.generate(original, Map.of());
    Map<String, Tensor> want = ORT.verifier().run(onnx, inputs);
    Map<String, Tensor> got = Evaluator.standard().runTensors(g, inputs);
    OrtVerifier.Verification evaluated =
        OrtVerifier.compareOutputs(want, got, OrtVerifier.Tolerance.DEFAULT);
    assertTrue(evaluated.pass(), name + ": evaluator on the O3 .cvy: "
        + evaluated.firstFailure());
    for (String op : SENSITIVE) {
      assertEquals(null, g.opHistogram().get(op), name + ": a " + op + " stayed channels-first: "
          + g.opHistogram());
    }
    int boundary = O3LayoutDevModelsTest.boundary4d(g);
    assertTrue(O3LayoutDevModelsTest.transposes(g) <= boundary,
        name + ": " + g.opHistogram());

    OrtVerifier.Verification exported = ORT.verifier().compare(onnx, OnnxExporter.toBytes(g),
        inputs);
    assertTrue(exported.pass(), name + ": the O3 .cvy exported to ONNX: "
        + exported.firstFailure());
  }

  /** Replaces {@code W} (and {@code P}, positive) by seeded values of the declared shape. */
  private static String withWeights(String text, Random rnd) {
    Matcher m = Pattern.compile("float32\\[([0-9,]+)\\] = ([WP])").matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      int n = 1;
      for (String d : m.group(1).split(",")) {
        n *= Integer.parseInt(d);
      }
      StringBuilder v = new StringBuilder("[");
      for (int i = 0; i < n; i++) {
        float f = rnd.nextFloat() - 0.5f;
        v.append(i == 0 ? "" : ", ").append(m.group(2).equals("P") ? Math.abs(f) + 0.1f : f);
      }
      m.appendReplacement(out, "float32[" + m.group(1) + "] = " + v + "]");
    }
    m.appendTail(out);
    return out.toString();
  }
}
