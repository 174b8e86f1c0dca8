package dev.convoy.transforms.optimize.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.Optimizer;
import dev.convoy.transforms.optimize.PassContext;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.Target;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Why the fusions into {@code convoy} and {@code com.microsoft} ops do not fire: the standard
 * target, an intermediate that is a graph output or has another reader, a constant of the wrong
 * kind, an activation ONNX Runtime's fused op does not take; and which of two rules that match the
 * same SiLU writes it.
 */
class FusedTargetRulesTest {
  private static final Target ORT = Target.STANDARD.withOrtOps(true);

  @TempDir Path tmp;

  private static void assertNoMatch(MatchingRule<?> rule, Target target, String text, String root,
      String why) {
    Graph g = GraphParser.parse(text);
    Node n = g.nodes().stream().filter(x -> x.name().equals(root)).findFirst().orElseThrow();
    var options = OptimizeOptions.atLevel(Level.O2).withTarget(target);
    var m = rule.match(n, new Rewriter(new PassContext(options, null)));
    assertFalse(m.ok(), rule.name() + " matched at " + root);
    assertTrue(m.reason().contains(why), rule.name() + ": reason '" + m.reason() + "'");
  }

  private static void assertMatch(MatchingRule<?> rule, Target target, String text, String root) {
    Graph g = GraphParser.parse(text);
    Node n = g.nodes().stream().filter(x -> x.name().equals(root)).findFirst().orElseThrow();
    var options = OptimizeOptions.atLevel(Level.O2).withTarget(target);
    var m = rule.match(n, new Rewriter(new PassContext(options, null)));
    assertTrue(m.ok(), rule.name() + " did not match at " + root + ": " + m.reason());
  }

  private static final String CONV_ACT = """
      graph g (%%x: float32[1,2,4,4]) -> (%%y: float32[1,2,4,4]%s) {
        opset "" 14
        init %%W: float32[2,2,1,1] = [0.5, -1.0, 2.0, 0.25]
        init %%lo: float32[] = [0.0]
        init %%hi: %s = %s
        %%v: float32[1,2,4,4] = Conv(%%x, %%W) @conv
        %%y = %s @root
        %s
      }
      """;

  private static String convAct(String outputs, String act, String other) {
    return String.format(CONV_ACT, outputs, "float32[]", "[6.0]", act, other);
  }

  @Test
  void activationFusesOnlyForAFusedTarget() {
    assertNoMatch(new FuseActivation(), Target.STANDARD, convAct("", "Relu(%v)", ""), "root",
        "the target allows no fused ops");
    assertMatch(new FuseActivation(), Target.CVY, convAct("", "Relu(%v)", ""), "root");
    assertMatch(new FuseActivation(), ORT, convAct("", "Relu(%v)", ""), "root");
  }

  @Test
  void activationNotWhereTheConvIsAGraphOutput() {
    assertNoMatch(new FuseActivation(), Target.CVY,
        convAct(", %v: float32[1,2,4,4]", "Relu(%v)", ""), "root", "v is a graph output");
  }

  @Test
  void activationNotWhereTheConvHasAnotherReader() {
    assertNoMatch(new FuseActivation(), Target.CVY,
        convAct(", %r: float32[1,2,4,4]", "Relu(%v)", "%r = Sigmoid(%v) @other"), "root",
        "v has another consumer");
  }

  @Test
  void activationNotWithAClipBoundThatIsNotAOneElementConstant() {
    String text = String.format(CONV_ACT, "", "float32[2]", "[6.0, 7.0]", "Clip(%v, %lo, %hi)",
        "");
    assertNoMatch(new FuseActivation(), Target.CVY, text, "root",
        "Clip bounds are not one-element constants");
  }

  @Test
  void activationOnlyWhereOnnxRuntimesFusedOpTakesIt() {
    assertNoMatch(new FuseActivation(), ORT, convAct("", "HardSwish(%v)", ""), "root",
        "ONNX Runtime's FusedConv does not take HardSwish");
    assertMatch(new FuseActivation(), Target.CVY, convAct("", "HardSwish(%v)", ""), "root");
  }

  private static final String MATMUL_ADD = """
      graph g (%%a: float32[2,3,5]) -> (%%y: float32[2,3,4]%s) {
        opset "" 13
        init %%W: float32[5,4] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, -0.1, -0.2, -0.3, -0.4, -0.5, -0.6, -0.7, -0.8, -0.9, -1.0]
        init %%c: %s
        %%m: float32[2,3,4] = MatMul(%%a, %%W) @mm
        %%y = Add(%%m, %%c) @root
        %s
      }
      """;

  private static final String VECTOR = "float32[4] = [1.0, 2.0, 3.0, 4.0]";

  @Test
  void matmulBiasNotOnTheOrtTarget() {
    assertNoMatch(new FuseMatMulBias(), ORT, String.format(MATMUL_ADD, "", VECTOR, ""), "root",
        "the target allows no convoy ops");
  }

  @Test
  void matmulBiasNotWhereTheProductIsAGraphOutput() {
    assertNoMatch(new FuseMatMulBias(), Target.CVY,
        String.format(MATMUL_ADD, ", %m: float32[2,3,4]", VECTOR, ""), "root",
        "m is a graph output");
  }

  @Test
  void matmulBiasNotWhereTheProductHasAnotherReader() {
    assertNoMatch(new FuseMatMulBias(), Target.CVY,
        String.format(MATMUL_ADD, ", %r: float32[2,3,4]", VECTOR, "%r = Relu(%m) @other"),
        "root", "m has another consumer");
  }

  @Test
  void matmulBiasNotWithABiasThatVariesAlongAnotherAxis() {
    assertNoMatch(new FuseMatMulBias(), Target.CVY, String.format(MATMUL_ADD, "",
        "float32[3,1] = [1.0, 2.0, 3.0]", ""), "root", "c is not a vector over the last axis");
  }

  private static final String BIAS_GELU = """
      graph g (%%x: float32[2,4]) -> (%%y: float32[2,4]%s) {
        opset "" 20
        init %%b: %s
        %%a: float32[2,4] = Add(%%x, %%b) @add
        %%y = Gelu(%%a) @root
        %s
      }
      """;

  @Test
  void biasGeluOnlyOnTheOrtTarget() {
    assertNoMatch(new FuseBiasGelu(), Target.CVY, String.format(BIAS_GELU, "", VECTOR, ""),
        "root", "the target allows no ONNX Runtime ops");
  }

  @Test
  void biasGeluNotWhereTheSumIsAGraphOutput() {
    assertNoMatch(new FuseBiasGelu(), ORT, String.format(BIAS_GELU, ", %a: float32[2,4]",
        VECTOR, ""), "root", "a is a graph output");
  }

  @Test
  void biasGeluNotWhereTheSumHasAnotherReader() {
    assertNoMatch(new FuseBiasGelu(), ORT, String.format(BIAS_GELU, ", %r: float32[2,4]",
        VECTOR, "%r = Relu(%a) @other"), "root", "a has another consumer");
  }

  @Test
  void biasGeluNotWithABiasOfAnotherLength() {
    assertNoMatch(new FuseBiasGelu(), ORT, String.format(BIAS_GELU, "",
        "float32[1] = [1.0]", ""), "root", "no float32 constant vector over its input's last axis");
  }

  private static final String SKIP_LN = """
      graph g (%%x: float32[2,3,4], %%s: float32[%s]) -> (%%y: float32[2,3,4]%s) {
        opset "" 17
        init %%gamma: float32[4] = [1.0, 0.5, -0.5, 2.0]
        %%a: float32[2,3,4] = Add(%%x, %%s) @add
        %%y%s = LayerNormalization(%%a, %%gamma) @root
      }
      """;

  @Test
  void skipLayerNormNotWhereTheAddBroadcasts() {
    assertNoMatch(new FuseSkipLayerNorm(), Target.CVY, String.format(SKIP_LN, "4", "", ""),
        "root", "not two float32 tensors of the sum's shape");
  }

  @Test
  void skipLayerNormNotWhereAStatisticIsRead() {
    assertNoMatch(new FuseSkipLayerNorm(), Target.CVY,
        String.format(SKIP_LN, "2,3,4", ", %mu: float32[2,3,1]", ", %mu"), "root",
        "mu (a statistic of the normalization) is read");
  }

  /** The differential tester's transformer-92327: Tanh fused into the LayerNorm, then lost. */
  @Test
  void skipLayerNormNotWhereTheNormalizationAppliesAnActivation() {
    assertNoMatch(new FuseSkipLayerNorm(), Target.CVY, """
        graph g (%x: float32[2,3,4], %s: float32[2,3,4]) -> (%y: float32[2,3,4]) {
          opset "" 17
          opset "convoy" 1
          init %gamma: float32[4] = [1.0, 0.5, -0.5, 2.0]
          %a: float32[2,3,4] = Add(%x, %s) @add
          %y = convoy::LayerNormalization(%a, %gamma) {activation="Tanh"} @root
        }
        """, "root", "applies activation Tanh");
  }

  @Test
  void skipLayerNormKeepsASumThatIsAGraphOutputAsItsFourthOutput() {
    assertMatch(new FuseSkipLayerNorm(), Target.CVY,
        String.format(SKIP_LN, "2,3,4", ", %a: float32[2,3,4]", ""), "root");
  }

  private static final String SWISH = """
      graph g (%%x: float32[2,4]) -> (%%y: float32[2,4]%s) {
        opset "" 13
        %%s: float32[2,4] = Sigmoid(%%x) @sig
        %%y = Mul(%%x, %%s) @root
        %s
      }
      """;

  @Test
  void swishBecomesQuickGeluForOrtOnAnyInput() {
    assertMatch(new FuseGatedActivation(), ORT, String.format(SWISH, "", ""), "root");
    assertNoMatch(new FuseGatedActivation(), Target.STANDARD, String.format(SWISH, "", ""), "root",
        "the target allows no fused ops");
  }

  @Test
  void swishForCvyOnlyOnAFusableProducer() {
    assertNoMatch(new FuseGatedActivation(), Target.CVY, String.format(SWISH, "", ""), "root",
        "x is not produced by Conv, Gemm or an unactivated FusedMatMul");
  }

  @Test
  void swishNotWhereTheSigmoidIsAGraphOutput() {
    assertNoMatch(new FuseGatedActivation(), ORT, String.format(SWISH, ", %s: float32[2,4]", ""), "root",
        "s is a graph output");
  }

  @Test
  void swishNotWhereTheSigmoidHasAnotherReader() {
    assertNoMatch(new FuseGatedActivation(), ORT, String.format(SWISH, ", %r: float32[2,4]",
        "%r = Relu(%s) @other"), "root", "s has another consumer");
  }

  private static final String CONV_SILU = """
      graph g (%%x: float32[1,2,4,4]) -> (%%y: float32[1,2,4,4]) {
        opset "" %d
        init %%W: float32[2,2,1,1] = [0.5, -1.0, 2.0, 0.25]
        %%v: float32[1,2,4,4] = %s @conv
        %%s: float32[1,2,4,4] = Sigmoid(%%v) @sig
        %%y = Mul(%%v, %%s) @root
      }
      """;

  /** The ops {@code fuse-swish} and {@code fuse-gated-activation} leave, run in {@code order}. */
  private Map<String, Integer> fuseSilu(String text, Target target, String... order)
      throws Exception {
    Path pipeline = Files.writeString(tmp.resolve("silu.txt"),
        "rules fuse {\n  " + String.join("\n  ", order) + "\n}\n");
    OptimizeOptions o = new OptimizeOptions(Level.O2, Set.of(), Set.of(), pipeline, Map.of(),
        false, OptimizeOptions.DEFAULT_FOLD_CAP, target);
    return Optimizer.optimize(GraphParser.parse(text), o).graph().opHistogram();
  }

  @Test
  void siluOnAConvForCvyAtOpset24IsTheFusedConvWhicheverRuleComesFirst() throws Exception {
    String text = String.format(CONV_SILU, 24, "Conv(%x, %W)");
    assertNoMatch(new FuseSwish(), Target.CVY, text, "root",
        "fuse-gated-activation fuses the SiLU into conv");
    assertMatch(new FuseGatedActivation(), Target.CVY, text, "root");
    for (String[] order : List.of(new String[] {FuseSwish.NAME, FuseGatedActivation.NAME},
        new String[] {FuseGatedActivation.NAME, FuseSwish.NAME})) {
      assertEquals(Map.of("convoy::FusedConv", 1), fuseSilu(text, Target.CVY, order),
          String.join(", ", order));
    }
  }

  @Test
  void siluAtOpset24IsStandardSwishForOrtAndForCvyWithNoProducerToFuse() throws Exception {
    String conv = String.format(CONV_SILU, 24, "Conv(%x, %W)");
    assertNoMatch(new FuseGatedActivation(), ORT, conv, "root", "Swish is standard at opset 24");
    String add = String.format(CONV_SILU, 24, "Add(%x, %x)");
    for (String[] order : List.of(new String[] {FuseSwish.NAME, FuseGatedActivation.NAME},
        new String[] {FuseGatedActivation.NAME, FuseSwish.NAME})) {
      assertEquals(Map.of("Conv", 1, "Swish", 1), fuseSilu(conv, ORT, order));
      assertEquals(Map.of("Add", 1, "Swish", 1), fuseSilu(add, Target.CVY, order));
    }
    // Below opset 24 there is no standard Swish: ONNX Runtime's QuickGelu.
    assertEquals(Map.of("Conv", 1, "com.microsoft::QuickGelu", 1),
        fuseSilu(String.format(CONV_SILU, 23, "Conv(%x, %W)"), ORT, FuseSwish.NAME,
            FuseGatedActivation.NAME));
  }

  @Test
  void hardSwishOnAConvForCvyIsTheFusedConvWhicheverRuleComesFirst() throws Exception {
    // fuse-hard-swish writes HardSwish, which fuse-activation then takes into the Conv: the same
    // FusedConv as fuse-gated-activation's in one step.
    String text = """
        graph g (%x: float32[1,2,4,4]) -> (%y: float32[1,2,4,4]) {
          opset "" 14
          init %W: float32[2,2,1,1] = [0.5, -1.0, 2.0, 0.25]
          %v: float32[1,2,4,4] = Conv(%x, %W) @conv
          %h: float32[1,2,4,4] = HardSigmoid(%v) {alpha=0.16666667, beta=0.5} @hs
          %y = Mul(%v, %h) @root
        }
        """;
    for (String[] order : List.of(
        new String[] {FuseHardSwish.NAME, FuseActivation.NAME, FuseGatedActivation.NAME},
        new String[] {FuseGatedActivation.NAME, FuseHardSwish.NAME, FuseActivation.NAME})) {
      assertEquals(Map.of("convoy::FusedConv", 1), fuseSilu(text, Target.CVY, order),
          String.join(", ", order));
    }
  }
}
