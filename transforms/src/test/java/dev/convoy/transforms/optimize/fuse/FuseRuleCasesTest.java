package dev.convoy.transforms.optimize.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.ir.graph.Graph;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.RuleCases;
import dev.convoy.transforms.optimize.Target;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Each fusion's required cases through {@link RuleCases}: it fires and keeps the outputs (Convoy's
 * evaluator and ONNX Runtime, before vs after), and it does not fire where an intermediate is a
 * graph output, has another consumer, or a constant is wrong, each with its reason.
 */
class FuseRuleCasesTest {
  private static String gelu(int opset) {
    return """
        graph g (%%x: float32[2,8]) -> (%%y: float32[2,8]) {
          opset "" %d
          init %%sqrt2: float32[] = [1.4142135]
          init %%one: float32[] = [1.0]
          init %%half: float32[] = [0.5]
          %%d: float32[2,8] = Div(%%x, %%sqrt2) @div
          %%e: float32[2,8] = Erf(%%d) @erf
          %%p: float32[2,8] = Add(%%e, %%one) @add
          %%m: float32[2,8] = Mul(%%x, %%p) @mul
          %%y = Mul(%%m, %%half) @root
        }
        """.formatted(opset);
  }

  private static final RuleCases GELU = RuleCases.of(new FuseGeluErf(), gelu(20), "root");

  @Test
  void geluFusesAndKeepsOutputs() {
    Graph g = GELU.firesAndKeepsOutputs();
    assertEquals(Integer.valueOf(1), g.opHistogram().get("Gelu"));
  }

  @Test
  void geluBelowOpset20FusesIntoOnnxRuntimesGeluWhenAllowed() {
    Graph g = RuleCases.of(new FuseGeluErf(), gelu(13), "root")
        .with(OptimizeOptions.atLevel(Level.O2).withTarget(Target.STANDARD.withOrtOps(true)))
        .firesAndKeepsOutputs();
    assertEquals(Integer.valueOf(1), g.opHistogram().get("com.microsoft::Gelu"));
  }

  @Test
  void geluNotBelowOpset20OnTheStandardTarget() {
    RuleCases.of(new FuseGeluErf(), gelu(13), "root")
        .notFiring("Gelu needs opset 20, ONNX Runtime's ops or the cvy target");
  }

  @Test
  void geluNotWhereAnIntermediateEscapes() {
    GELU.notWhereGraphOutput("e");
    GELU.notWhereAnotherConsumer("p");
  }

  @Test
  void geluNotWithAnotherCoefficient() {
    GELU.notWithConstant("half", 0.6f, "half is 0.6");
    GELU.notWithConstant("sqrt2", 1.5f, "sqrt2 is 1.5, not 1.414");
  }

  private static final RuleCases MATMUL_ADD = RuleCases.of(new FuseMatMulAdd(), """
      graph g (%a: float32[2,3]) -> (%y: float32[2,2]) {
        opset "" 13
        init %w: float32[3,2] = [0.5, -1.0, 2.0, 0.25, 1.5, -0.75]
        init %c: float32[2] = [0.1, -0.2]
        %p: float32[2,2] = MatMul(%a, %w) @mm
        %y = Add(%c, %p) @root
      }
      """, "root");

  @Test
  void matMulAddFusesAndKeepsOutputs() {
    assertEquals(Integer.valueOf(1), MATMUL_ADD.firesAndKeepsOutputs().opHistogram().get("Gemm"));
  }

  @Test
  void matMulAddNotWhereTheProductEscapes() {
    MATMUL_ADD.notWhereGraphOutput("p");
    MATMUL_ADD.notWhereAnotherConsumer("p");
  }

  @Test
  void matMulAddNotWithABiasThatWidensTheProduct() {
    RuleCases.of(new FuseMatMulAdd(), """
        graph g (%a: float32[2,3]) -> (%y: float32[2,2,2]) {
          opset "" 13
          init %w: float32[3,2] = [0.5, -1.0, 2.0, 0.25, 1.5, -0.75]
          init %c: float32[2,1,2] = [0.1, -0.2, 0.3, 0.4]
          %p: float32[2,2] = MatMul(%a, %w) @mm
          %y = Add(%p, %c) @root
        }
        """, "root").notFiring("c does not broadcast into [2, 2]");
  }

  @Test
  void matMulAddFusesWithASymbolicRowCount() {
    // A dynamic batch leaves M symbolic; Gemm takes any M, as ONNX Runtime's BASIC MatMulAddFusion.
    RuleCases cases = RuleCases.of(new FuseMatMulAdd(), """
        graph g (%a: float32[N,3]) -> (%y: float32[N,2]) {
          opset "" 9
          init %w: float32[3,2] = [0.5, -1.0, 2.0, 0.25, 1.5, -0.75]
          init %c: float32[1,2] = [0.1, -0.2]
          %p: float32[N,2] = MatMul(%a, %w) @mm
          %y = Add(%p, %c) @root
        }
        """, "root");
    assertEquals(Integer.valueOf(1), cases.atShapes(Map.of("a", new long[] {4, 3}))
        .firesAndKeepsOutputs().opHistogram().get("Gemm"));
    cases.keepsOutputsAtShapes(Map.of("a", new long[] {1, 3}), Map.of("a", new long[] {7, 3}));
  }

  @Test
  void matMulAddNotWithABiasOfRowsAgainstASymbolicRowCount() {
    RuleCases.of(new FuseMatMulAdd(), """
        graph g (%a: float32[N,3]) -> (%y: float32[2,2]) {
          opset "" 13
          init %w: float32[3,2] = [0.5, -1.0, 2.0, 0.25, 1.5, -0.75]
          init %c: float32[2,2] = [0.1, -0.2, 0.3, 0.4]
          %p: float32[N,2] = MatMul(%a, %w) @mm
          %y = Add(%p, %c) @root
        }
        """, "root").notFiring("c does not broadcast into [M, 2]");
  }

  private static String conv(String op, String constant) {
    return """
        graph g (%%x: float32[1,2,4,4]) -> (%%y: float32[1,3,4,4]) {
          opset "" 13
          init %%w: float32[3,2,1,1] = [0.5, -1.0, 2.0, 0.25, 1.5, -0.75]
          init %%b: float32[3] = [0.1, 0.2, 0.3]
          init %%c: %s
          %%v: float32[1,3,4,4] = Conv(%%x, %%w, %%b) @conv
          %%y = %s(%%v, %%c) @root
        }
        """.formatted(constant, op);
  }

  private static final String PER_CHANNEL = "float32[3,1,1] = [1.5, -2.0, 3.0]";
  private static final String PER_COLUMN = "float32[1,1,4] = [1.5, -2.0, 3.0, 0.5]";

  @Test
  void convAddFusesAndKeepsOutputs() {
    RuleCases cases = RuleCases.of(new FuseConvAdd(), conv("Add", PER_CHANNEL), "root");
    assertEquals(null, cases.firesAndKeepsOutputs().opHistogram().get("Add"));
    cases.notWhereGraphOutput("v");
    cases.notWhereAnotherConsumer("v");
    RuleCases.of(new FuseConvAdd(), conv("Add", PER_COLUMN), "root")
        .notFiring("c does not vary along the output channels only");
  }

  @Test
  void convMulFusesAndKeepsOutputs() {
    RuleCases cases = RuleCases.of(new FuseConvMul(), conv("Mul", PER_CHANNEL), "root");
    assertEquals(null, cases.firesAndKeepsOutputs().opHistogram().get("Mul"));
    cases.notWhereGraphOutput("v");
    cases.notWhereAnotherConsumer("v");
    RuleCases.of(new FuseConvMul(), conv("Mul", PER_COLUMN), "root")
        .notFiring("c does not vary along the output channels only");
  }

  private static final RuleCases CONV_BN = RuleCases.of(new FuseConvBatchNorm(), """
      graph g (%x: float32[1,2,4,4]) -> (%y: float32[1,3,4,4]) {
        opset "" 13
        init %w: float32[3,2,1,1] = [0.5, -1.0, 2.0, 0.25, 1.5, -0.75]
        init %b: float32[3] = [0.1, 0.2, 0.3]
        init %s: float32[3] = [1.0, 0.5, 2.0]
        init %shift: float32[3] = [0.1, -0.2, 0.3]
        init %mean: float32[3] = [0.5, 0.0, -0.5]
        init %var: float32[3] = [1.0, 2.0, 0.5]
        %v: float32[1,3,4,4] = Conv(%x, %w, %b) @conv
        %y = BatchNormalization(%v, %s, %shift, %mean, %var) @root
      }
      """, "root");

  @Test
  void convBatchNormFusesAndKeepsOutputs() {
    assertEquals(null, CONV_BN.firesAndKeepsOutputs().opHistogram().get("BatchNormalization"));
  }

  @Test
  void convBatchNormNotWhereTheConvEscapesOrTheVarianceCancelsEpsilon() {
    CONV_BN.notWhereGraphOutput("v");
    CONV_BN.notWhereAnotherConsumer("v");
    CONV_BN.notWithConstant("var", -1e-5f, "would fold into non-finite weights");
  }

  private static final RuleCases HARD_SIGMOID = RuleCases.of(new FuseHardSigmoid(), """
      graph g (%x: float32[2,8]) -> (%y: float32[2,8]) {
        opset "" 11
        init %three: float32[] = [3.0]
        init %zero: float32[] = [0.0]
        init %six: float32[] = [6.0]
        init %divisor: float32[] = [6.0]
        %a: float32[2,8] = Add(%x, %three) @add
        %c: float32[2,8] = Clip(%a, %zero, %six) @clip
        %y = Div(%c, %divisor) @root
      }
      """, "root");

  @Test
  void hardSigmoidFusesAndKeepsOutputs() {
    HARD_SIGMOID.firesAndKeepsOutputs();
    HARD_SIGMOID.notWhereGraphOutput("a");
    HARD_SIGMOID.notWhereAnotherConsumer("c");
    HARD_SIGMOID.notWithConstant("divisor", 5f, "is not a hard sigmoid");
  }

  private static final RuleCases HARD_SWISH = RuleCases.of(new FuseHardSwish(), """
      graph g (%x: float32[2,8]) -> (%y: float32[2,8]) {
        opset "" 14
        %h: float32[2,8] = HardSigmoid(%x) {alpha=0.16666667, beta=0.5} @hs
        %y = Mul(%h, %x) @root
      }
      """, "root");

  @Test
  void hardSwishFusesAndKeepsOutputs() {
    HARD_SWISH.firesAndKeepsOutputs();
    HARD_SWISH.notWhereGraphOutput("h");
    HARD_SWISH.notWhereAnotherConsumer("h");
  }

  private static final String LAYER_NORM_TEXT = """
      graph g (%x: float32[2,3,4]) -> (%y: float32[2,3,4]) {
        opset "" 17
        init %two: float32[] = [2.0]
        init %eps: float32[] = [1e-05]
        init %gamma: float32[4] = [1.0, 0.5, 2.0, -1.0]
        init %beta: float32[4] = [0.1, 0.2, 0.3, 0.4]
        %m: float32[2,3,1] = ReduceMean(%x) {axes=[-1]} @mean
        %d: float32[2,3,4] = Sub(%x, %m) @sub
        %p: float32[2,3,4] = Pow(%d, %two) @pow
        %v: float32[2,3,1] = ReduceMean(%p) {axes=[-1]} @var
        %e: float32[2,3,1] = Add(%v, %eps) @add_eps
        %s: float32[2,3,1] = Sqrt(%e) @sqrt
        %n: float32[2,3,4] = Div(%d, %s) @root
        %g: float32[2,3,4] = Mul(%n, %gamma) @scale
        %y = Add(%g, %beta) @shift
      }
      """;

  private static final RuleCases LAYER_NORM = RuleCases.of(new FuseLayerNorm(), LAYER_NORM_TEXT,
      "root");

  /** The same chain over {@code rows} rows of 4 ({@code N}: rows unknown). */
  private static RuleCases layerNormOver(String rows) {
    return RuleCases.of(new FuseLayerNorm(), LAYER_NORM_TEXT.replace("[2,3,", "[2," + rows + ","),
        "root");
  }

  @Test
  void layerNormFusesWithItsAffineAndKeepsOutputs() {
    Graph g = LAYER_NORM.firesAndKeepsOutputs();
    assertEquals(Integer.valueOf(1), g.opHistogram().get("LayerNormalization"));
    assertEquals(1, g.nodes().size());
  }

  @Test
  void layerNormNotWhereAnIntermediateEscapesOrAConstantIsWrong() {
    LAYER_NORM.notWhereGraphOutput("v");
    LAYER_NORM.notWhereAnotherConsumer("m");
    LAYER_NORM.notWhereAnotherConsumer("d");
    LAYER_NORM.notWithConstant("two", 3f, "two is 3.0, not 2.0");
    LAYER_NORM.notWithConstant("eps", -1f, "epsilon -1.0 is not a non-negative number");
  }

  /** The chain with its Mul by ones gone (O1's eliminate-mul-one): the Div, then the shift. */
  private static final String LAYER_NORM_SHIFT_TEXT = LAYER_NORM_TEXT
      .replace("  %g: float32[2,3,4] = Mul(%n, %gamma) @scale\n", "")
      .replace("Add(%g, %beta)", "Add(%n, %beta)");

  private static Graph layerNormShift(String from, String to) {
    return RuleCases.of(new FuseLayerNorm(), LAYER_NORM_SHIFT_TEXT.replace(from, to), "root")
        .firesAndKeepsOutputs();
  }

  @Test
  void layerNormTakesAShiftWithoutAScale() {
    Graph g = layerNormShift("", "");
    assertEquals(1, g.nodes().size(), "one LayerNormalization with the shift as its beta");
    assertEquals(3, g.nodes().get(0).inputCount(), "x, a scale of ones and beta");
    RuleCases shift = RuleCases.of(new FuseLayerNorm(), LAYER_NORM_SHIFT_TEXT, "root");
    shift.notWhereGraphOutput("v");
    shift.notWhereAnotherConsumer("d");
  }

  @Test
  void layerNormLeavesTheShiftWhereTheNormalizedValueEscapesOrBetaIsNotOverTheAxis() {
    // The normalized value is also a graph output: it fuses without the Add, which stays.
    Graph escapes = layerNormShift("(%y: float32[2,3,4])",
        "(%y: float32[2,3,4], %n: float32[2,3,4])");
    assertEquals(Integer.valueOf(1), escapes.opHistogram().get("Add"), "the shift stays");
    // A shift per row, not per normalized element, is not LayerNormalization's beta.
    Graph rows = layerNormShift("init %beta: float32[4] = [0.1, 0.2, 0.3, 0.4]",
        "init %beta: float32[3,1] = [0.1, 0.2, 0.3]");
    assertEquals(Integer.valueOf(1), rows.opHistogram().get("Add"), "the row-wise Add stays");
  }

  @Test
  void layerNormAtARaisedOpsetOnlyWhereOnnxRuntimeRunsItFaster() {
    // --target-opset 17 on this opset-17 chain: the limit applies (the converter raised nothing
    // here, but the rule sees only that an opset was asked for).
    OptimizeOptions raised =
        OptimizeOptions.atLevel(Level.O2).withTarget(Target.STANDARD.withOpset(17));
    // 2 x 64 x 4 = 512 elements: ONNX Runtime's LayerNormalization beats the chain.
    layerNormOver("64").with(raised).firesAndKeepsOutputs();
    layerNormOver("65").with(raised)
        .notFiring("x [2,65,4] is not statically at most 512 elements");
    layerNormOver("N").with(raised).notFiring("x [2,N,4] is not statically at most 512 elements");
  }

  @Test
  void layerNormAtTheModelsOwnOpsetAtAnySizeAsOnnxRuntimeBasicDoes() {
    // A model already at opset 17+: ORT BASIC fuses the chain into LayerNormalization whatever
    // its size, so O2 does too (never more nodes than BASIC).
    layerNormOver("65").firesAndKeepsOutputs();
    Graph g = layerNormOver("N").atShapes(Map.of("x", new long[] {2, 300, 4}))
        .firesAndKeepsOutputs();
    assertEquals(Integer.valueOf(1), g.opHistogram().get("LayerNormalization"));
  }

  @Test
  void layerNormForConvoyAndOnnxRuntimeTargetsAtAnySize() {
    Map<String, long[]> shapes = Map.of("x", new long[] {2, 300, 4});
    for (Target t : new Target[] {Target.CVY, Target.STANDARD.withOrtOps(true)}) {
      Graph g = layerNormOver("N").with(OptimizeOptions.atLevel(Level.O2).withTarget(t))
          .atShapes(shapes).firesAndKeepsOutputs();
      assertEquals(Integer.valueOf(1), g.opHistogram().get("LayerNormalization"));
    }
  }

  /** RMS normalization of {@code rows} rows of 8 ({@code N}: rows unknown) at opset 23. */
  private static RuleCases rmsNormOver(String rows) {
    return RuleCases.of(new FuseRmsNorm(), """
        graph g (%%x: float32[%1$s,8]) -> (%%y: float32[%1$s,8]) {
          opset "" 23
          init %%two: float32[] = [2.0]
          init %%eps: float32[] = [1e-6]
          init %%last: int64[1] = [-1]
          %%p: float32[%1$s,8] = Pow(%%x, %%two) @pow
          %%m: float32[%1$s,1] = ReduceMean(%%p, %%last) @mean
          %%a: float32[%1$s,1] = Add(%%m, %%eps) @add
          %%s: float32[%1$s,1] = Sqrt(%%a) @sqrt
          %%y = Div(%%x, %%s) @root
        }
        """.formatted(rows), "root");
  }

  @Test
  void rmsNormWhereOnnxRuntimeRunsItOnlyWhereItIsFaster() {
    // 2048 x 8 = 16384 elements: ONNX Runtime's RMSNormalization beats the chain.
    rmsNormOver("2048").firesAndKeepsOutputs();
    rmsNormOver("2049").notFiring("x [2049,8] is not statically at most 16384 elements");
    rmsNormOver("N").notFiring("x [N,8] is not statically at most 16384 elements");
    Graph g = rmsNormOver("N").with(OptimizeOptions.atLevel(Level.O2).withTarget(Target.CVY))
        .atShapes(Map.of("x", new long[] {3000, 8})).firesAndKeepsOutputs();
    assertEquals(Integer.valueOf(1), g.opHistogram().get("RMSNormalization"));
  }
}
