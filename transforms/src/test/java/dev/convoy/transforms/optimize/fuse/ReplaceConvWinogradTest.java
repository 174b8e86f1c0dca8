package dev.convoy.transforms.optimize.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.transforms.convert.onnx.ExpandConvoyOps;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.RuleCases;
import dev.convoy.transforms.optimize.Target;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code replace-conv-winograd}: a 3x3 stride-1 Conv or FusedConv (bias, residual, activation
 * and affine epilogue) becomes {@code convoy::WinogradConv} and keeps its outputs in the evaluator
 * and, exported (the weight recovered from the transformed filters), in ONNX Runtime against the
 * original; the reasons it gives where it must not fire, the measured-shape rule included.
 */
class ReplaceConvWinogradTest {
  /** O2 for the cvy target with the (opt-in) rule enabled. */
  private static final OptimizeOptions CVY = new OptimizeOptions(Level.O2,
      Set.of(ReplaceConvWinograd.NAME), Set.of(), null, Map.of(), false,
      OptimizeOptions.DEFAULT_FOLD_CAP, Target.CVY);

  /** A conv of c channels into 8 over an h x w map, its weight and bias generated. */
  private static String conv(int c, int h, int w, String kernel, String node, String attrs) {
    int taps = kernel.equals("3x3") ? 9 : 1;
    StringBuilder wt = new StringBuilder();
    for (int i = 0; i < 8 * c * taps; i++) {
      wt.append(i == 0 ? "" : ", ").append((float) Math.cos(i * 0.37) * 0.08f);
    }
    String k = kernel.equals("3x3") ? "3,3" : "1,1";
    return """
        graph g (%%x: float32[N,%d,%d,%d], %%z: float32[N,8,?,?]) -> (%%y: float32[N,8,?,?]) {
          opset "" 13
          opset "convoy" 1
          init %%W: float32[8,%d,%s] = [%s]
          init %%B: float32[8] = [0.1, -0.3, 0.7, 0.0, 0.2, -0.1, 0.05, 0.4]
          %%y = %s {%s} @root
        }
        """.formatted(c, h, w, c, k, wt, node, attrs);
  }

  private static final Map<String, long[]> SHAPES = Map.of("x", new long[] {2, 64, 21, 19},
      "z", new long[] {2, 8, 21, 19});

  @Test
  void replacesAConvWithUnevenPadsOverOddSizes() {
    // 22x20 in, pads [1, 0, 2, 1]: output 23x19, 12 x 10 tiles (the last row and column half).
    String text = conv(64, 22, 20, "3x3", "Conv(%x, %W, %B)", "pads=[1,0,2,1]")
        .replace("%z: float32[N,8,?,?]", "%z: float32[N,8,23,19]");
    Graph g = RuleCases.of(new ReplaceConvWinograd(), text, "root").with(CVY)
        .atShapes(Map.of("x", new long[] {2, 64, 22, 20}, "z", new long[] {2, 8, 23, 19}))
        .firesAndKeepsOutputs();
    Node n = g.nodes().get(0);
    assertEquals("WinogradConv", n.opType());
    assertEquals(List.of(16L, 8L, 64L), java.util.Arrays.stream(
        n.input(1).constant().dims()).boxed().toList());
  }

  @Test
  void takesAFusedConvWithItsResidualActivationAndAffine() {
    String text = conv(64, 21, 19, "3x3", "convoy::FusedConv(%x, %W, %B, %z)",
        "activation=\"LeakyRelu\", activation_params=[0.1], post_scale=0.5, post_shift=-0.25,"
            + " kernel_shape=[3,3], pads=[1,1,1,1], strides=[1,1]");
    Graph g = RuleCases.of(new ReplaceConvWinograd(), text, "root").with(CVY).atShapes(SHAPES)
        .firesAndKeepsOutputs();
    Node n = g.nodes().get(0);
    assertEquals("LeakyRelu", n.stringAttr("activation", ""));
    assertEquals(0.5f, n.floatAttr("post_scale", 1f));
    assertEquals(4, n.inputCount());
  }

  @Test
  void takesSamePaddingAsOneEachSide() {
    String text = conv(64, 21, 19, "3x3", "Conv(%x, %W)", "auto_pad=\"SAME_UPPER\"");
    RuleCases.of(new ReplaceConvWinograd(), text, "root").with(CVY).atShapes(SHAPES)
        .firesAndKeepsOutputs();
  }

  @Test
  void exportRecoversTheWeightsCornersExactly() {
    String text = conv(64, 21, 19, "3x3", "Conv(%x, %W, %B)", "pads=[1,1,1,1]");
    Graph g = RuleCases.of(new ReplaceConvWinograd(), text, "root").with(CVY).atShapes(SHAPES)
        .firesAndKeepsOutputs();
    Graph exported = ExpandConvoyOps.expanded(g);
    Node conv = exported.nodes().stream().filter(n -> n.is("Conv")).findFirst().orElseThrow();
    float[] back = conv.input(1).constant().toFloatArray();
    float[] original = GraphParser.parse(text).initializer("W").constant().toFloatArray();
    double worst = 0;
    for (int i = 0; i < original.length; i++) {
      int tap = i % 9;
      if (tap == 0 || tap == 2 || tap == 6 || tap == 8) {
        assertEquals(original[i], back[i], 0, "corner " + i);
      }
      worst = Math.max(worst, Math.abs(original[i] - back[i]));
    }
    assertTrue(worst < 1e-7, "recovered weight off by " + worst);
  }

  /**
   * Generated convs the rule takes (64-100 input channels, 1-24 outputs, 21-34 rows and columns,
   * pads 0-2 each side, with or without bias, residual and activation), against ONNX Runtime on
   * the original.
   */
  @ParameterizedTest(name = "seed {0}")
  @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
  void generatedConvsKeepTheirOutputs(int seed) {
    Random r = new Random(seed);
    int c = 64 + r.nextInt(37);
    int m = 1 + r.nextInt(24);
    int h = 21 + r.nextInt(14);
    int w = 21 + r.nextInt(14);
    long[] p = {r.nextInt(3), r.nextInt(3), r.nextInt(3), r.nextInt(3)};
    long ho = h + p[0] + p[2] - 2;
    long wo = w + p[1] + p[3] - 2;
    StringBuilder wt = new StringBuilder();
    double bound = 1.5 / Math.sqrt(9.0 * c);
    for (int i = 0; i < m * c * 9; i++) {
      wt.append(i == 0 ? "" : ", ").append((float) ((r.nextDouble() * 2 - 1) * bound));
    }
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < m; i++) {
      b.append(i == 0 ? "" : ", ").append((float) (r.nextDouble() - 0.5));
    }
    String act = List.of("", "Relu", "LeakyRelu", "Sigmoid", "HardSwish", "Tanh")
        .get(r.nextInt(6));
    boolean residual = r.nextBoolean();
    boolean bias = r.nextInt(4) > 0;
    String pads = "pads=[" + p[0] + "," + p[1] + "," + p[2] + "," + p[3] + "]";
    String node = act.isEmpty() && !residual
        ? "Conv(%x, %W" + (bias ? ", %B" : "") + ") {" + pads + "}"
        : "convoy::FusedConv(%x, %W, " + (bias ? "%B" : "_") + (residual ? ", %z" : "")
            + ") {" + (act.isEmpty() ? "" : "activation=\"" + act + "\", ")
            + "kernel_shape=[3,3], " + pads + "}";
    String text = """
        graph g (%%x: float32[1,%d,%d,%d], %%z: float32[1,%d,%d,%d]) -> (%%y: float32[1,%d,%d,%d]) {
          opset "" 13
          opset "convoy" 1
          init %%W: float32[%d,%d,3,3] = [%s]
          init %%B: float32[%d] = [%s]
          %%y = %s @root
        }
        """.formatted(c, h, w, m, ho, wo, m, ho, wo, m, c, wt, m, b, node);
    RuleCases.of(new ReplaceConvWinograd(), text, "root").with(CVY).firesAndKeepsOutputs();
  }

  @Test
  void notWhereTheConvIsNotAPlainThreeByThree() {
    RuleCases.of(new ReplaceConvWinograd(), conv(64, 21, 19, "3x3", "Conv(%x, %W, %B)",
        "pads=[1,1,1,1], strides=[2,2]"), "root").with(CVY)
        .notFiring("root has a stride other than 1");
    RuleCases.of(new ReplaceConvWinograd(), conv(64, 21, 19, "3x3", "Conv(%x, %W, %B)",
        "pads=[2,2,2,2], dilations=[2,2]"), "root").with(CVY)
        .notFiring("root has a dilation other than 1");
    RuleCases.of(new ReplaceConvWinograd(), conv(64, 21, 19, "3x3", "Conv(%x, %W, %B)",
        "pads=[1,1,1,1], group=2").replace("%x: float32[N,64,21,19]", "%x: float32[N,128,21,19]"),
        "root").with(CVY).notFiring("root has more than one group");
    RuleCases.of(new ReplaceConvWinograd(), conv(64, 21, 19, "1x1", "Conv(%x, %W, %B)",
        "pads=[0,0,0,0]"), "root").with(CVY).notFiring("W is not a constant float32 3x3 weight");
  }

  @Test
  void notWithoutAStaticSpatialSize() {
    String text = conv(64, 21, 19, "3x3", "Conv(%x, %W, %B)", "pads=[1,1,1,1]")
        .replace("%x: float32[N,64,21,19]", "%x: float32[N,64,H,W]");
    RuleCases.of(new ReplaceConvWinograd(), text, "root").with(CVY)
        .notFiring("root has no static spatial size");
  }

  @Test
  void notWhereTheShapeRuleSaysTheDirectKernelIsFaster() {
    RuleCases.of(new ReplaceConvWinograd(), conv(32, 40, 40, "3x3", "Conv(%x, %W, %B)",
        "pads=[1,1,1,1]"), "root").with(CVY)
        .notFiring("has 32 input channels and 400 tiles: measured slower");
    RuleCases.of(new ReplaceConvWinograd(), conv(64, 14, 14, "3x3", "Conv(%x, %W, %B)",
        "pads=[1,1,1,1]"), "root").with(CVY)
        .notFiring("has 64 input channels and 49 tiles: measured slower");
  }

  @Test
  void notUnlessEnabledNorOnTheStandardTargetNorAtO3() {
    String text = conv(64, 21, 19, "3x3", "Conv(%x, %W, %B)", "pads=[1,1,1,1]");
    RuleCases.of(new ReplaceConvWinograd(), text, "root")
        .with(OptimizeOptions.atLevel(Level.O2).withTarget(Target.CVY))
        .notFiring("replace-conv-winograd is opt-in");
    RuleCases.of(new ReplaceConvWinograd(), text, "root")
        .with(CVY.withTarget(Target.STANDARD)).notFiring("the target has no convoy ops");
    RuleCases.of(new ReplaceConvWinograd(), text, "root")
        .with(new OptimizeOptions(Level.O3, CVY.enabled(), Set.of(), null, Map.of(), false,
            OptimizeOptions.DEFAULT_FOLD_CAP, Target.CVY))
        .notFiring("O3 converts the convs to NHWC");
  }

  @Test
  void transformedFiltersAreFloatsOfTheDoubleTransform() {
    Tensor u = RuleCases.of(new ReplaceConvWinograd(), conv(64, 21, 19, "3x3",
        "Conv(%x, %W, %B)", "pads=[1,1,1,1]"), "root").with(CVY).atShapes(SHAPES)
        .firesAndKeepsOutputs().nodes().get(0).input(1).constant();
    float[] w = GraphParser.parse(conv(64, 21, 19, "3x3", "Conv(%x, %W, %B)", "pads=[1,1,1,1]"))
        .initializer("W").constant().toFloatArray();
    // U[4a+b][m][c] for a = b = 1 (rows and columns of G = [1/2, 1/2, 1/2]): the 3x3 sum / 4.
    for (int m = 0; m < 8; m++) {
      for (int c = 0; c < 64; c++) {
        double s = 0;
        for (int t = 0; t < 9; t++) {
          s += w[(m * 64 + c) * 9 + t];
        }
        assertEquals((float) (s / 4), u.toFloatArray()[(5 * 8 + m) * 64 + c], 0f);
      }
    }
  }
}
