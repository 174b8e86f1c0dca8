package dev.convoy.transforms.optimize.fuse;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.PassContext;
import dev.convoy.transforms.optimize.Rewriter;
import org.junit.jupiter.api.Test;

/**
 * Where the standard-ONNX fusions must not fire, with the reason their matchers give: an
 * intermediate that is a graph output, an intermediate with another consumer, a wrong constant.
 */
class StandardFusionsMustNotFireTest {
  static void assertNoMatch(MatchingRule<?> rule, String text, String root, String why) {
    Graph g = GraphParser.parse(text);
    Node n = g.nodes().stream().filter(x -> x.name().equals(root)).findFirst().orElseThrow();
    var m = rule.match(n, new Rewriter(new PassContext(OptimizeOptions.atLevel(Level.O2), null)));
    assertFalse(m.ok(), rule.name() + " matched at " + root);
    assertTrue(m.reason().contains(why), rule.name() + ": reason '" + m.reason() + "'");
  }

  static void assertMatch(MatchingRule<?> rule, String text, String root) {
    Graph g = GraphParser.parse(text);
    Node n = g.nodes().stream().filter(x -> x.name().equals(root)).findFirst().orElseThrow();
    var m = rule.match(n, new Rewriter(new PassContext(OptimizeOptions.atLevel(Level.O2), null)));
    assertTrue(m.ok(), rule.name() + " did not match at " + root + ": " + m.reason());
  }

  private static final String CLIP_CHAIN = """
      graph g (%%x: float32[2,8]) -> (%%y: float32[2,8]%s) {
        opset "" 13
        init %%c: float32[] = [%s]
        %%r: float32[2,8] = Relu(%%x) @relu
        %%y = Min(%%r, %%c) @root
        %s
      }
      """;

  @Test
  void clipChainFusesReluThenMin() {
    assertMatch(new FuseClipChain(), String.format(CLIP_CHAIN, "", "6.0", ""), "root");
  }

  @Test
  void clipChainNotWhereTheReluIsAGraphOutput() {
    assertNoMatch(new FuseClipChain(), String.format(CLIP_CHAIN, ", %r: float32[2,8]", "6.0", ""),
        "root", "r is a graph output");
  }

  @Test
  void clipChainNotWhereTheReluHasAnotherConsumer() {
    assertNoMatch(new FuseClipChain(), String.format(CLIP_CHAIN, ", %n: float32[2,8]", "6.0",
        "%n = Neg(%r) @other"), "root", "r has another consumer");
  }

  @Test
  void clipChainNotWithBoundsThatDoNotOverlap() {
    assertNoMatch(new FuseClipChain(), String.format(CLIP_CHAIN, "", "-1.0", ""),
        "root", "do not overlap");
  }

  @Test
  void clipChainKeepsALeakyReluBeforeANegativeLowerBound() {
    assertNoMatch(new FuseClipChain(), """
        graph g (%x: float32[2,8]) -> (%y: float32[2,8]) {
          opset "" 13
          init %c: float32[1,1] = [-0.4]
          %l: float32[2,8] = LeakyRelu(%x) {alpha=0.2} @leaky
          %y = Max(%l, %c) @root
        }
        """, "root", "would show through");
  }

  @Test
  void clipChainNotWhereTheConstantWouldBroadcastTheShape() {
    assertNoMatch(new FuseClipChain(), """
        graph g (%x: float32[8]) -> (%y: float32[1,8]) {
          opset "" 13
          init %c: float32[1,1] = [6.0]
          %r: float32[8] = Relu(%x) @relu
          %y = Min(%r, %c) @root
        }
        """, "root", "keeps the shape");
  }

  private static final String CLAMP_QUANTIZE = """
      graph g (%%x: float32[2,8]) -> (%%q: uint8[2,8]%s) {
        opset "" 13
        init %%s: float32[] = [0.1]
        init %%z: uint8[] = [%s]
        %%r: float32[2,8] = Relu(%%x) @relu
        %%q = QuantizeLinear(%%r, %%s, %%z) @root
        %s
      }
      """;

  @Test
  void clampQuantizeDropsAReluBeforeZeroPointZero() {
    assertMatch(new FuseClampQuantize(), String.format(CLAMP_QUANTIZE, "", "0", ""), "root");
  }

  @Test
  void clampQuantizeNotWhereTheReluIsAGraphOutput() {
    assertNoMatch(new FuseClampQuantize(),
        String.format(CLAMP_QUANTIZE, ", %r: float32[2,8]", "0", ""), "root",
        "r is a graph output");
  }

  @Test
  void clampQuantizeNotWhereTheReluHasAnotherConsumer() {
    assertNoMatch(new FuseClampQuantize(),
        String.format(CLAMP_QUANTIZE, ", %n: float32[2,8]", "0", "%n = Neg(%r) @other"), "root",
        "r has another consumer");
  }

  @Test
  void clampQuantizeNotWithAZeroPointAboveTheMinimum() {
    assertNoMatch(new FuseClampQuantize(), String.format(CLAMP_QUANTIZE, "", "1", ""), "root",
        "do not quantize to [0, 255]");
  }

  @Test
  void clampQuantizeNotWithAClipBoundNearARoundingTie() {
    // 6.05 / 0.1 = 60.5: whether 60 or 61 comes out depends on how the runtime divides.
    assertNoMatch(new FuseClampQuantize(), """
        graph g (%x: float32[2,8]) -> (%q: uint8[2,8]) {
          opset "" 13
          init %s: float32[] = [0.1]
          init %z: uint8[] = [195]
          init %lo: float32[] = [-19.45]
          %c: float32[2,8] = Clip(%x, %lo) @clip
          %q = QuantizeLinear(%c, %s, %z) @root
        }
        """, "root", "do not quantize to [0, 255]");
  }

  private static final String QDQ_SHAPE = """
      graph g (%%q: int8[2,3,4]) -> (%%y: int8[2,12]%s) {
        opset "" 13
        init %%s: float32[] = [0.05]
        init %%s2: float32[] = [%s]
        init %%z: int8[] = [3]
        %%d: float32[2,3,4] = DequantizeLinear(%%q, %%s, %%z) @dq
        %%f: float32[2,12] = Flatten(%%d) {axis=1} @flatten
        %%y = QuantizeLinear(%%f, %%s2, %%z) @root
        %s
      }
      """;

  @Test
  void qdqShapeOpFusesAFlattenBetweenMatchingParameters() {
    assertMatch(new FuseQdqShapeOp(), String.format(QDQ_SHAPE, "", "0.05", ""), "root");
  }

  @Test
  void qdqShapeOpNotWhereTheDequantizedValueIsAGraphOutput() {
    assertNoMatch(new FuseQdqShapeOp(),
        String.format(QDQ_SHAPE, ", %d: float32[2,3,4]", "0.05", ""), "root",
        "d is a graph output");
  }

  @Test
  void qdqShapeOpNotWhereTheFlattenHasAnotherConsumer() {
    assertNoMatch(new FuseQdqShapeOp(),
        String.format(QDQ_SHAPE, ", %n: float32[2,12]", "0.05", "%n = Neg(%f) @other"), "root",
        "f has another consumer");
  }

  @Test
  void qdqShapeOpNotWithAnotherScale() {
    assertNoMatch(new FuseQdqShapeOp(), String.format(QDQ_SHAPE, "", "0.1", ""), "root",
        "do not share one per-tensor scale and zero point");
  }

  @Test
  void qdqShapeOpNotForAnInt16MaxPool() {
    assertNoMatch(new FuseQdqShapeOp(), """
        graph g (%q: int16[1,1,4,4]) -> (%y: int16[1,1,2,2]) {
          opset "" 13
          init %s: float32[] = [0.05]
          init %z: int16[] = [0]
          %d: float32[1,1,4,4] = DequantizeLinear(%q, %s, %z) @dq
          %p: float32[1,1,2,2] = MaxPool(%d) {kernel_shape=[2,2], strides=[2,2]} @pool
          %y = QuantizeLinear(%p, %s, %z) @root
        }
        """, "root", "MaxPool takes 8-bit integers");
  }

  private static final String CONVT_BN = """
      graph g (%%x: float32[1,2,3,3]) -> (%%y: float32[1,2,4,4]%s) {
        opset "" 13
        init %%w: float32[2,2,2,2] = [0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8, 0.9, 0.15, -0.25, 0.35, 0.45, -0.55, 0.65, 0.75]
        init %%gamma: float32[2] = [1.0, 0.5]
        init %%beta: float32[2] = [0.0, 0.1]
        init %%mean: float32[2] = [0.1, -0.1]
        init %%var: float32[2] = [%s, 0.5]
        %%c: float32[1,2,4,4] = ConvTranspose(%%x, %%w) {kernel_shape=[2,2]} @convt
        %%y = BatchNormalization(%%c, %%gamma, %%beta, %%mean, %%var) {epsilon=0.0} @root
        %s
      }
      """;

  @Test
  void convTransposeAffineFusesABatchNormalization() {
    assertMatch(new FuseConvTransposeAffine(), String.format(CONVT_BN, "", "1.0", ""), "root");
  }

  @Test
  void convTransposeAffineNotWhereTheConvTransposeIsAGraphOutput() {
    assertNoMatch(new FuseConvTransposeAffine(),
        String.format(CONVT_BN, ", %c: float32[1,2,4,4]", "1.0", ""), "root",
        "c is a graph output");
  }

  @Test
  void convTransposeAffineNotWhereTheConvTransposeHasAnotherConsumer() {
    assertNoMatch(new FuseConvTransposeAffine(),
        String.format(CONVT_BN, ", %n: float32[1,2,4,4]", "1.0", "%n = Neg(%c) @other"), "root",
        "c has another consumer");
  }

  @Test
  void convTransposeAffineNotWithAZeroVariance() {
    assertNoMatch(new FuseConvTransposeAffine(), String.format(CONVT_BN, "", "0.0", ""), "root",
        "not positive");
  }

  private static final String GEMM_MUL = """
      graph g (%%a: float32[2,3]) -> (%%y: float32[2,4]%s) {
        opset "" 13
        init %%b: float32[3,4] = [0.2, 0.1, -0.3, 0.5, 0.6, -0.4, 0.3, 0.2, -0.1, 0.25, 0.35, 5.0]
        init %%s: float32[%s] = [%s]
        %%g: float32[2,4] = Gemm(%%a, %%b) @gemm
        %%y = Mul(%%g, %%s) @root
        %s
      }
      """;

  @Test
  void gemmAffineFusesAPerColumnMul() {
    assertMatch(new FuseGemmAffine(),
        String.format(GEMM_MUL, "", "4", "1.0, 2.0, 3.0, 4.0", ""), "root");
  }

  @Test
  void gemmAffineNotWhereTheGemmIsAGraphOutput() {
    assertNoMatch(new FuseGemmAffine(), String.format(GEMM_MUL, ", %g: float32[2,4]", "4",
        "1.0, 2.0, 3.0, 4.0", ""), "root", "g is a graph output");
  }

  @Test
  void gemmAffineNotWhereTheGemmHasAnotherConsumer() {
    assertNoMatch(new FuseGemmAffine(), String.format(GEMM_MUL, ", %n: float32[2,4]", "4",
        "1.0, 2.0, 3.0, 4.0", "%n = Neg(%g) @other"), "root", "g has another consumer");
  }

  @Test
  void gemmAffineNotWithAPerRowConstant() {
    assertNoMatch(new FuseGemmAffine(), String.format(GEMM_MUL, "", "2,1", "1.0, 2.0", ""),
        "root", "varies only along the 4 channels");
  }

  @Test
  void gemmAffineNotWhereFoldedWeightsOverflow() {
    assertNoMatch(new FuseGemmAffine(), String.format(GEMM_MUL, "", "4", "1.0, 2.0, 3.0, 3e38", ""),
        "root", "not finite in float32");
  }

  static final String GELU_TANH = """
      graph g (%%x: float32[2,8]) -> (%%y: float32[2,8]%s) {
        opset "" %s
        init %%half: float32[] = [0.5]
        init %%one: float32[] = [1.0]
        init %%three: float32[] = [3.0]
        init %%c: float32[] = [%s]
        init %%s: float32[] = [0.7978846]
        %%a: float32[2,8] = Mul(%%x, %%half) @half
        %%p: float32[2,8] = Pow(%%x, %%three) @pow
        %%q: float32[2,8] = Mul(%%p, %%c) @cubic
        %%r: float32[2,8] = Add(%%x, %%q) @sum
        %%t0: float32[2,8] = Mul(%%r, %%s) @scale
        %%t: float32[2,8] = Tanh(%%t0) @tanh
        %%u: float32[2,8] = Add(%%t, %%one) @add
        %%y = Mul(%%a, %%u) @root
        %s
      }
      """;

  @Test
  void geluTanhFusesAtOpset20() {
    assertMatch(new FuseGeluTanh(), String.format(GELU_TANH, "", 20, "0.044715", ""), "root");
  }

  @Test
  void geluTanhNotBelowOpset20() {
    assertNoMatch(new FuseGeluTanh(), String.format(GELU_TANH, "", 18, "0.044715", ""), "root",
        "Gelu needs opset 20");
  }

  @Test
  void geluTanhNotWhereTheCubeIsAGraphOutput() {
    assertNoMatch(new FuseGeluTanh(),
        String.format(GELU_TANH, ", %p: float32[2,8]", 20, "0.044715", ""), "root",
        "p is not x^3");
  }

  @Test
  void geluTanhNotWhereTheSumHasAnotherConsumer() {
    assertNoMatch(new FuseGeluTanh(), String.format(GELU_TANH, ", %n: float32[2,8]", 20,
        "0.044715", "%n = Neg(%r) @other"), "root", "r has another consumer");
  }

  @Test
  void geluTanhNotWithAnotherCubicCoefficient() {
    assertNoMatch(new FuseGeluTanh(), String.format(GELU_TANH, "", 20, "0.04", ""), "root",
        "the sum is not x + 0.044715 * x^3");
  }

  private static final String MISH = """
      graph g (%%x: float32[2,8]) -> (%%y: float32[2,8]%s) {
        opset "" 18
        %%s: float32[2,8] = Softplus(%%x) @softplus
        %%t: float32[2,8] = Tanh(%%s) @tanh
        %%y = Mul(%%x, %%t) @root
        %s
      }
      """;

  @Test
  void mishNotWhereTheSoftplusIsAGraphOutput() {
    assertNoMatch(new FuseMish(), String.format(MISH, ", %s: float32[2,8]", ""), "root",
        "s is a graph output");
  }

  @Test
  void mishNotWhereTheTanhHasAnotherConsumer() {
    assertNoMatch(new FuseMish(), String.format(MISH, ", %n: float32[2,8]", "%n = Neg(%t) @other"),
        "root", "t has another consumer");
  }

  @Test
  void mishNotWhereTheSoftplusReadsAnotherValue() {
    assertNoMatch(new FuseMish(), """
        graph g (%x: float32[2,8], %w: float32[2,8]) -> (%y: float32[2,8]) {
          opset "" 18
          %s: float32[2,8] = Softplus(%w) @softplus
          %t: float32[2,8] = Tanh(%s) @tanh
          %y = Mul(%x, %t) @root
        }
        """, "root", "does not read the other operand");
  }

  private static final String PAD_CONV = """
      graph g (%%x: float32[1,2,4,4]) -> (%%y: float32[1,3,5,5]%s) {
        opset "" 13
        init %%w: float32[3,2,2,2] = [0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8, 0.9, 0.15, -0.25, 0.35, 0.45, -0.55, 0.65, 0.75, 0.2, 0.1, -0.3, 0.5, 0.6, -0.4, 0.3, 0.2]
        init %%p: int64[8] = [0, 0, 1, 1, 0, 0, 1, 1]
        init %%v: float32[] = [%s]
        %%x1: float32[1,2,6,6] = Pad(%%x, %%p, %%v) @pad
        %%y = Conv(%%x1, %%w) {kernel_shape=[2,2]} @root
        %s
      }
      """;

  @Test
  void padIntoConvFusesAZeroPad() {
    assertMatch(new FusePadIntoConvPool(), String.format(PAD_CONV, "", "0.0", ""), "root");
  }

  @Test
  void padIntoConvNotWhereThePaddedValueIsAGraphOutput() {
    assertNoMatch(new FusePadIntoConvPool(),
        String.format(PAD_CONV, ", %x1: float32[1,2,6,6]", "0.0", ""), "root",
        "x1 is a graph output");
  }

  @Test
  void padIntoConvNotWhereThePaddedValueHasAnotherConsumer() {
    assertNoMatch(new FusePadIntoConvPool(), String.format(PAD_CONV, ", %n: float32[1,2,6,6]",
        "0.0", "%n = Neg(%x1) @other"), "root", "x1 has another consumer");
  }

  @Test
  void padIntoConvNotWithANegativeZeroPad() {
    assertNoMatch(new FusePadIntoConvPool(), String.format(PAD_CONV, "", "-0.0", ""), "root",
        "a Conv pads with +0, not -0.0");
  }

  @Test
  void padIntoMaxPoolNotWithAZeroPad() {
    assertNoMatch(new FusePadIntoConvPool(), """
        graph g (%x: float32[1,2,4,4]) -> (%y: float32[1,2,5,5]) {
          opset "" 13
          init %p: int64[8] = [0, 0, 1, 1, 0, 0, 1, 1]
          %x1: float32[1,2,6,6] = Pad(%x, %p) @pad
          %y = MaxPool(%x1) {kernel_shape=[2,2]} @root
        }
        """, "root", "a MaxPool ignores padding like -inf, not 0.0");
  }

  @Test
  void padIntoAveragePoolNotWhereAPadWouldReachTheKernel() {
    // cnn-31253: pad 1 (top) and 2 (left) into a pool of kernel 2 and pads 1 makes pads 2 and 3.
    assertNoMatch(new FusePadIntoConvPool(), """
        graph g (%x: float32[1,2,4,4]) -> (%y: float32[1,2,7,8]) {
          opset "" 13
          init %p: int64[8] = [0, 0, 1, 2, 0, 0, 0, 0]
          %x1: float32[1,2,5,6] = Pad(%x, %p) @pad
          %y = AveragePool(%x1) {kernel_shape=[2,2], strides=[1,1], pads=[1,1,1,1], count_include_pad=1} @root
        }
        """, "root", "AveragePool root would pad as much as its kernel");
  }

  private static final String D2S = """
      graph g (%%x: float32[1,8,2,3]) -> (%%y: float32[1,2,4,6]%s) {
        opset "" 13
        init %%dcr: int64[6] = [1, 2, 2, 2, 2, 3]
        init %%out: int64[4] = [1, 2, 4, 6]
        %%a: float32[1,2,2,2,2,3] = Reshape(%%x, %%dcr) @reshape
        %%t: float32[1,2,2,2,2,2] = Transpose(%%a) {perm=[%s]} @transpose
        %%y = Reshape(%%t, %%out) @root
        %s
      }
      """;

  @Test
  void depthToSpaceFusesDcr() {
    assertMatch(new FuseDepthToSpace(), String.format(D2S, "", "0,3,4,1,5,2", ""), "root");
  }

  @Test
  void depthToSpaceNotWhereTheTransposeIsAGraphOutput() {
    assertNoMatch(new FuseDepthToSpace(),
        String.format(D2S, ", %t: float32[1,2,2,2,2,2]", "0,3,4,1,5,2", ""), "root",
        "t is a graph output");
  }

  @Test
  void depthToSpaceNotWhereTheFirstReshapeHasAnotherConsumer() {
    assertNoMatch(new FuseDepthToSpace(), String.format(D2S, ", %n: float32[1,2,2,2,2,3]",
        "0,3,4,1,5,2", "%n = Neg(%a) @other"), "root", "a has another consumer");
  }

  @Test
  void depthToSpaceNotWithAnotherPermutation() {
    assertNoMatch(new FuseDepthToSpace(), String.format(D2S, "", "0,3,4,1,2,5", ""), "root",
        "moves no blocks between depth and space");
  }

  private static final String ADD_NEG = """
      graph g (%%a: float32[2,8], %%b: float32[2,8]) -> (%%y: float32[2,8]%s) {
        opset "" 13
        %%n: float32[2,8] = Neg(%%b) @neg
        %%y = Add(%%a, %%n) @root
        %s
      }
      """;

  @Test
  void negIntoAddSubNotWhereTheNegIsAGraphOutput() {
    assertNoMatch(new FuseNegIntoAddSub(), String.format(ADD_NEG, ", %n: float32[2,8]", ""),
        "root", "n is a graph output");
  }

  @Test
  void negIntoAddSubNotWhereTheNegHasAnotherConsumer() {
    assertNoMatch(new FuseNegIntoAddSub(), String.format(ADD_NEG, ", %r: float32[2,8]",
        "%r = Relu(%n) @other"), "root", "n has another consumer");
  }

  @Test
  void negIntoAddSubNotForSubtractingFromANeg() {
    assertNoMatch(new FuseNegIntoAddSub(), """
        graph g (%a: float32[2,8], %b: float32[2,8]) -> (%y: float32[2,8]) {
          opset "" 13
          %n: float32[2,8] = Neg(%b) @neg
          %y = Sub(%n, %a) @root
        }
        """, "root", "subtracts no Neg");
  }

  @Test
  void divByPowerOfTwoNotForADivisorOfThree() {
    assertNoMatch(new ReplaceDivByPowerOfTwo(), """
        graph g (%x: float32[2,8]) -> (%y: float32[2,8]) {
          opset "" 13
          init %c: float32[] = [3.0]
          %y = Div(%x, %c) @root
        }
        """, "root", "divides by 3.0, not a power of two");
  }

  private static final String RMS = """
      graph g (%%x: float32[2,8]) -> (%%y: float32[2,8]%s) {
        opset "" 23
        init %%two: float32[] = [2.0]
        init %%eps: float32[] = [%s]
        init %%last: int64[1] = [-1]
        %%p: float32[2,8] = Pow(%%x, %%two) @pow
        %%m: float32[2,1] = ReduceMean(%%p, %%last) @mean
        %%a: float32[2,1] = Add(%%m, %%eps) @add
        %%s: float32[2,1] = Sqrt(%%a) @sqrt
        %%y = Div(%%x, %%s) @root
        %s
      }
      """;

  @Test
  void rmsNormFusesTheDivision() {
    assertMatch(new FuseRmsNorm(), String.format(RMS, "", "1e-6", ""), "root");
  }

  @Test
  void rmsNormNotWhereTheMeanIsAGraphOutput() {
    assertNoMatch(new FuseRmsNorm(), String.format(RMS, ", %m: float32[2,1]", "1e-6", ""), "root",
        "m is a graph output");
  }

  @Test
  void rmsNormNotWhereTheSquareRootHasAnotherConsumer() {
    assertNoMatch(new FuseRmsNorm(), String.format(RMS, ", %n: float32[2,1]", "1e-6",
        "%n = Neg(%s) @other"), "root", "s has another consumer");
  }

  @Test
  void rmsNormNotWithANegativeEpsilon() {
    assertNoMatch(new FuseRmsNorm(), String.format(RMS, "", "-1e-6", ""), "root",
        "does not add a non-negative epsilon");
  }

  private static final String SWISH = """
      graph g (%%x: float32[2,8]) -> (%%y: float32[2,8]%s) {
        opset "" %s
        %%s: float32[2,8] = Sigmoid(%%x) @sigmoid
        %%y = Mul(%%x, %%s) @root
        %s
      }
      """;

  @Test
  void swishNotBelowOpset24() {
    assertNoMatch(new FuseSwish(), String.format(SWISH, "", 23, ""), "root",
        "Swish needs opset 24");
  }

  @Test
  void swishNotAboveOpset24WhereOnnxRuntimeHasNoKernel() {
    assertNoMatch(new FuseSwish(), String.format(SWISH, "", 25, ""), "root",
        "ONNX Runtime runs Swish at opset 24 only");
  }

  @Test
  void rmsNormLeavesALayerNormChainToTheLayerNormFusion() {
    assertNoMatch(new FuseRmsNorm(), """
        graph g (%y: float32[2,8]) -> (%z: float32[2,8]) {
          opset "" 23
          init %two: float32[] = [2.0]
          init %eps: float32[] = [1e-6]
          init %last: int64[1] = [-1]
          %mu: float32[2,1] = ReduceMean(%y, %last) @mu
          %x: float32[2,8] = Sub(%y, %mu) @center
          %p: float32[2,8] = Pow(%x, %two) @pow
          %m: float32[2,1] = ReduceMean(%p, %last) @mean
          %a: float32[2,1] = Add(%m, %eps) @add
          %s: float32[2,1] = Sqrt(%a) @sqrt
          %z = Div(%x, %s) @root
        }
        """, "root", "x is centered: a LayerNormalization chain");
  }

  @Test
  void swishNotWhereTheSigmoidIsAGraphOutput() {
    assertNoMatch(new FuseSwish(), String.format(SWISH, ", %s: float32[2,8]", 24, ""), "root",
        "s is a graph output");
  }

  @Test
  void swishNotWhereTheSigmoidHasAnotherConsumer() {
    assertNoMatch(new FuseSwish(), String.format(SWISH, ", %n: float32[2,8]", 24,
        "%n = Neg(%s) @other"), "root", "s has another consumer");
  }

  private static final String GEMM_T = """
      graph g (%%a: float32[3,2]) -> (%%y: float32[2,4]%s) {
        opset "" 13
        init %%w: float32[3,4] = [0.2, 0.1, -0.3, 0.5, 0.6, -0.4, 0.3, 0.2, -0.1, 0.25, 0.35, -0.45]
        %%t: float32[2,3] = Transpose(%%a) {perm=[1,0]} @transpose
        %%y = Gemm(%%t, %%w) @root
        %s
      }
      """;

  @Test
  void transposeIntoGemmNotWhereTheTransposeIsAGraphOutput() {
    assertNoMatch(new FuseTransposeIntoGemm(), String.format(GEMM_T, ", %t: float32[2,3]", ""),
        "root", "t is a graph output");
  }

  @Test
  void transposeIntoGemmNotWhereTheTransposeHasAnotherConsumer() {
    assertNoMatch(new FuseTransposeIntoGemm(), String.format(GEMM_T, ", %n: float32[2,3]",
        "%n = Neg(%t) @other"), "root", "t has another consumer");
  }

  @Test
  void transposeIntoGemmNotForAnIdentityPermutation() {
    assertNoMatch(new FuseTransposeIntoGemm(), """
        graph g (%a: float32[2,3]) -> (%y: float32[2,4]) {
          opset "" 13
          init %w: float32[3,4] = [0.2, 0.1, -0.3, 0.5, 0.6, -0.4, 0.3, 0.2, -0.1, 0.25, 0.35, -0.45]
          %t: float32[2,3] = Transpose(%a) {perm=[0,1]} @transpose
          %y = Gemm(%t, %w) @root
        }
        """, "root", "is not a rank-2 [1, 0] transpose");
  }
}
