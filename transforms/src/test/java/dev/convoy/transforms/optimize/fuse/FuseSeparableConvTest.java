package dev.convoy.transforms.optimize.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.PassContext;
import dev.convoy.transforms.optimize.RuleCases;
import dev.convoy.transforms.optimize.RuleSetPass;
import dev.convoy.transforms.optimize.Target;
import dev.convoy.transforms.verify.SeededInputs;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * {@code fuse-separable-conv}: MobileNetV2's and ShuffleNet's depthwise-separable blocks keep
 * their outputs (evaluator, and ONNX Runtime on the exported expansion) and, run as one {@code
 * convoy::SeparableConv}, the very bits of the separate convolutions, over strides, odd sizes,
 * channel counts that fill no whole vector, activations and the residual; and the reasons the
 * rule gives where it must not fire. No constant's value matters to the rule: its wrong-constant
 * case is a depthwise weight of the wrong shape (a depth multiplier).
 */
class FuseSeparableConvTest {
  private static final OptimizeOptions CVY = OptimizeOptions.atLevel(Level.O2)
      .withTarget(Target.CVY);

  /**
   * A block on {@code [1, c, h, h]}: with {@code m > 0} a 1x1 expansion to m channels ({@code
   * expandAct}), a depthwise 3x3 of stride {@code stride} ({@code dwAct}) and a 1x1 projection to
   * {@code q} channels (with the input as residual when {@code residual}, and {@code act}); the
   * projection is node {@code root}, the depthwise output {@code %d}.
   */
  private static String block(int c, int m, int q, int h, int stride, boolean residual,
      String expandAct, String dwAct, String act, long seed) {
    Random r = new Random(seed);
    int ch = m > 0 ? m : c;
    int o = (h + 2 - 3) / stride + 1;
    StringBuilder s = new StringBuilder();
    s.append("graph g (%x: float32[1,").append(c).append(',').append(h).append(',').append(h)
        .append("]) -> (%y: float32[1,").append(q).append(',').append(o).append(',').append(o)
        .append("]) {\n  opset \"\" 13\n  opset \"convoy\" 1\n");
    if (m > 0) {
      s.append(init("We", r, m, c, 1, 1)).append(init("Be", r, m));
    }
    s.append(init("Wd", r, ch, 1, 3, 3)).append(init("Bd", r, ch))
        .append(init("Wp", r, q, ch, 1, 1)).append(init("Bp", r, q));
    String in = "%x";
    if (m > 0) {
      s.append("  %e: float32[1,").append(m).append(',').append(h).append(',').append(h)
          .append("] = ").append(conv("%x, %We, %Be", expandAct, "")).append(" @expand\n");
      in = "%e";
    }
    s.append("  %d: float32[1,").append(ch).append(',').append(o).append(',').append(o)
        .append("] = ").append(conv(in + ", %Wd, %Bd", dwAct, "group=" + ch
            + ", kernel_shape=[3,3], pads=[1,1,1,1], strides=[" + stride + "," + stride + "]"))
        .append(" @dw\n");
    s.append("  %y = ").append(conv("%d, %Wp, %Bp" + (residual ? ", %x" : ""), act, ""))
        .append(" @root\n}\n");
    return s.toString();
  }

  /**
   * A convoy FusedConv with activation {@code act} (Clip is ReLU6) or a residual (a fourth
   * operand), else a plain Conv.
   */
  private static String conv(String in, String act, String attrs) {
    if (act.isEmpty() && in.split(",").length < 4) {
      return "Conv(" + in + ")" + (attrs.isEmpty() ? "" : " {" + attrs + "}");
    }
    String a = act.isEmpty() ? "" : act.equals("Clip")
        ? "activation=\"Clip\", activation_params=[0.0, 6.0]" : "activation=\"" + act + "\"";
    String all = a.isEmpty() ? attrs : attrs.isEmpty() ? a : a + ", " + attrs;
    return "convoy::FusedConv(" + in + ")" + (all.isEmpty() ? "" : " {" + all + "}");
  }

  private static String init(String name, Random r, int... dims) {
    int n = IntStream.of(dims).reduce(1, (a, b) -> a * b);
    String values = IntStream.range(0, n).mapToObj(i -> Float.toString(r.nextFloat() - 0.5f))
        .collect(Collectors.joining(", "));
    String shape = IntStream.of(dims).mapToObj(Integer::toString)
        .collect(Collectors.joining(","));
    return "  init %" + name + ": float32[" + shape + "] = [" + values + "]\n";
  }

  private static final String MOBILENET = block(8, 24, 8, 7, 1, true, "Clip", "Clip", "", 1);

  private static RuleCases cases(String text) {
    return RuleCases.of(new FuseSeparableConv(), text, "root").with(CVY);
  }

  @Test
  void fusesAnInvertedResidualAndKeepsOutputs() {
    cases(MOBILENET).firesAndKeepsOutputs();
  }

  @Test
  void fusesAStridedBranchWithoutExpansionAndKeepsOutputs() {
    cases(block(12, 0, 12, 9, 2, false, "", "", "Relu", 2)).firesAndKeepsOutputs();
  }

  @Test
  void notWhereTheDepthwiseOutputIsAGraphOutputOrReadElsewhere() {
    cases(MOBILENET).notWhereGraphOutput("d");
    cases(MOBILENET).notWhereAnotherConsumer("d");
  }

  @Test
  void notWithADepthMultiplier() {
    // Two output channels per input channel: weight [16, 1, 3, 3] on 8 channels in 8 groups.
    String text = block(8, 0, 8, 7, 1, false, "", "", "", 3)
        .replace("%Wd: float32[8,1,3,3]", "%Wd: float32[16,1,3,3]")
        .replace("%Bd: float32[8]", "%Bd: float32[16]")
        .replace("%d: float32[1,8,7,7]", "%d: float32[1,16,7,7]")
        .replace("%Wp: float32[8,8,1,1]", "%Wp: float32[8,16,1,1]");
    text = padded(text, "Wd", 16 * 9 - 8 * 9);
    text = padded(text, "Bd", 8);
    text = padded(text, "Wp", 8 * 16 - 8 * 8);
    cases(text).notFiring("dw is not a float32 2-D depthwise conv (one output channel per input"
        + " channel)");
  }

  /** {@code extra} more values for initializer {@code name}'s literal. */
  private static String padded(String text, String name, int extra) {
    String head = "init %" + name + ": ";
    int at = text.indexOf(head);
    int end = text.indexOf(']', text.indexOf("= [", at));
    return text.substring(0, end) + ", 0.25".repeat(extra) + text.substring(end);
  }

  @Test
  void notOnTheStandardTargetNorAtO3() {
    cases(MOBILENET).with(OptimizeOptions.atLevel(Level.O2))
        .notFiring("the target has no convoy ops");
    cases(MOBILENET).with(OptimizeOptions.atLevel(Level.O3).withTarget(Target.CVY))
        .notFiring("O3 converts the convs to NHWC");
  }

  @Test
  void sumsAsTheSeparateConvsBitForBit() {
    List<String> blocks = List.of(
        MOBILENET,
        block(24, 144, 24, 14, 1, true, "Clip", "Clip", "", 4),
        block(32, 192, 64, 14, 2, false, "Clip", "Clip", "", 5),
        block(24, 24, 24, 13, 2, false, "Relu", "", "Relu", 6),
        block(20, 0, 36, 11, 1, false, "", "HardSwish", "Sigmoid", 7),
        block(3, 5, 7, 17, 2, false, "LeakyRelu", "Tanh", "Relu", 8),
        // Two images; a dilated depthwise conv; SAME_UPPER padding at stride 2 on an even size.
        block(16, 40, 16, 10, 1, true, "Clip", "Clip", "", 9).replace("float32[1,", "float32[2,"),
        block(8, 16, 8, 9, 1, false, "Relu", "Relu", "", 10)
            .replace("pads=[1,1,1,1]", "dilations=[2,2], pads=[2,2,2,2]"),
        block(8, 16, 8, 12, 2, false, "Relu", "", "Relu", 11)
            .replace("pads=[1,1,1,1]", "auto_pad=\"SAME_UPPER\""));
    for (String text : blocks) {
      Graph before = GraphParser.parse(text);
      Graph after = before.copy();
      int rewrites = new RuleSetPass(FuseSeparableConv.NAME, List.of(new FuseSeparableConv()), 10)
          .run(after, new PassContext(CVY, null));
      assertEquals(1, rewrites, "not fused:\n" + text);
      Map<String, Tensor> inputs = SeededInputs.generate(before, Map.of());
      Evaluator ev = Evaluator.standard();
      float[] want = ev.runTensors(before, inputs).get("y").toFloatArray();
      float[] got = ev.runTensors(after, inputs).get("y").toFloatArray();
      assertTrue(want.length > 0);
      assertArrayEquals(bits(want), bits(got), "bits differ:\n" + text);
    }
  }

  private static int[] bits(float[] f) {
    return IntStream.range(0, f.length).map(i -> Float.floatToIntBits(f[i])).toArray();
  }
}
