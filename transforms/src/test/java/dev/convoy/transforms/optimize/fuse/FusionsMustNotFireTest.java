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
 * Where each fusion must not fire, and the reason its matcher gives: an intermediate that is a
 * graph output, an intermediate with another consumer, a wrong constant.
 */
class FusionsMustNotFireTest {
  private static void assertNoMatch(MatchingRule<?> rule, String text, String root, String why) {
    Graph g = GraphParser.parse(text);
    Node n = g.nodes().stream().filter(x -> x.name().equals(root)).findFirst().orElseThrow();
    var m = rule.match(n, new Rewriter(new PassContext(OptimizeOptions.atLevel(Level.O2), null)));
    assertFalse(m.ok(), rule.name() + " matched at " + root);
    assertTrue(m.reason().contains(why), rule.name() + ": reason '" + m.reason() + "'");
  }

  private static final String HARD_SIGMOID = """
      graph g (%%x: float32[2,8]) -> (%%y: float32[2,8]%s) {
        opset "" 11
        init %%three: float32[] = [3.0]
        init %%zero: float32[] = [0.0]
        init %%hi: float32[] = [%s]
        init %%six: float32[] = [6.0]
        %%a: float32[2,8] = Add(%%x, %%three) @add
        %%c: float32[2,8] = Clip(%%a, %%zero, %%hi) @clip
        %%y = Div(%%c, %%six) @root
        %s
      }
      """;

  @Test
  void hardSigmoidNotWhereTheClipIsAGraphOutput() {
    assertNoMatch(new FuseHardSigmoid(), String.format(HARD_SIGMOID, ", %c: float32[2,8]", "6.0", ""),
        "root", "c is a graph output");
  }

  @Test
  void hardSigmoidNotWhereTheAddHasAnotherConsumer() {
    assertNoMatch(new FuseHardSigmoid(), String.format(HARD_SIGMOID, ", %r: float32[2,8]", "6.0",
        "%r = Relu(%a) @other"), "root", "a has another consumer");
  }

  @Test
  void hardSigmoidNotWithAClipBoundOtherThanTheDivisor() {
    assertNoMatch(new FuseHardSigmoid(), String.format(HARD_SIGMOID, "", "5.0", ""),
        "root", "is not a hard sigmoid");
  }

  /**
   * Found by the differential test (transformer-1142): on float64 the fusion wrote a HardSigmoid
   * that ONNX Runtime has no kernel for, and it refused to load the result.
   */
  @Test
  void hardSigmoidNotOnFloat64() {
    assertNoMatch(new FuseHardSigmoid(), String.format(HARD_SIGMOID, "", "6.0", "")
        .replace("float32", "float64"), "root", "x is not float32");
  }

  private static final String HARD_SWISH = """
      graph g (%%x: float32[2,8]) -> (%%y: float32[2,8]%s) {
        opset "" 14
        %%h: float32[2,8] = HardSigmoid(%%x) {alpha=%s, beta=0.5} @hs
        %%y = Mul(%%x, %%h) @root
        %s
      }
      """;

  @Test
  void hardSwishNotWhereTheHardSigmoidIsAGraphOutput() {
    assertNoMatch(new FuseHardSwish(), String.format(HARD_SWISH, ", %h: float32[2,8]",
        "0.16666667", ""), "root", "h is a graph output");
  }

  @Test
  void hardSwishNotWhereTheHardSigmoidHasAnotherConsumer() {
    assertNoMatch(new FuseHardSwish(), String.format(HARD_SWISH, ", %r: float32[2,8]",
        "0.16666667", "%r = Relu(%h) @other"), "root", "h has another consumer");
  }

  @Test
  void hardSwishNotWithOtherCoefficients() {
    assertNoMatch(new FuseHardSwish(), String.format(HARD_SWISH, "", "0.2", ""),
        "root", "are not 1/6 and 0.5");
  }

  @Test
  void hardSwishNotBelowOpset14() {
    assertNoMatch(new FuseHardSwish(),
        String.format(HARD_SWISH, "", "0.16666667", "").replace("\"\" 14", "\"\" 13"),
        "root", "needs opset 14");
  }

  private static final String LAYER_NORM = """
      graph g (%%x: float32[2,3,4]) -> (%%y: float32[2,3,4]%s) {
        opset "" 17
        init %%two: float32[] = [%s]
        init %%eps: float32[] = [1e-05]
        %%m: float32[2,3,1] = ReduceMean(%%x) {axes=[-1]} @mean
        %%d: float32[2,3,4] = Sub(%%x, %%m) @sub
        %%p: float32[2,3,4] = Pow(%%d, %%two) @pow
        %%v: float32[2,3,1] = ReduceMean(%%p) {axes=[-1]} @var
        %%e: float32[2,3,1] = Add(%%v, %%eps) @add_eps
        %%s: float32[2,3,1] = Sqrt(%%e) @sqrt
        %%y = Div(%%d, %%s) @root
        %s
      }
      """;

  @Test
  void layerNormNotWhereTheVarianceIsAGraphOutput() {
    assertNoMatch(new FuseLayerNorm(), String.format(LAYER_NORM, ", %v: float32[2,3,1]", "2.0", ""),
        "root", "v is a graph output");
  }

  @Test
  void layerNormNotWhereTheCenteredInputHasAnotherConsumer() {
    assertNoMatch(new FuseLayerNorm(), String.format(LAYER_NORM, ", %r: float32[2,3,4]", "2.0",
        "%r = Relu(%d) @other"), "root", "d has another consumer");
  }

  @Test
  void layerNormNotWithAnotherExponent() {
    assertNoMatch(new FuseLayerNorm(), String.format(LAYER_NORM, "", "3.0", ""),
        "root", "two is 3.0, not 2.0");
  }

  @Test
  void layerNormNotBelowOpset17() {
    assertNoMatch(new FuseLayerNorm(),
        String.format(LAYER_NORM, "", "2.0", "").replace("\"\" 17", "\"\" 16"),
        "root", "needs opset 17");
  }

  private static final String SLICES = """
      graph g (%%x: float32[2,8], %%e: int64[1]) -> (%%a: float32[2,?], %%b: float32[2,?]) {
        opset "" 13
        init %%s0: int64[1] = [0]
        init %%s4: int64[1] = [4]
        init %%s5: int64[1] = [5]
        init %%end: int64[1] = [8]
        init %%ax: int64[1] = [1]
        %%a = Slice(%%x, %%s0, %s, %%ax) @root
        %%b = Slice(%%x, %s, %%end, %%ax) @other
      }
      """;

  @Test
  void slicesNotWhereTheyLeaveAGap() {
    assertNoMatch(new FuseSlicesToSplit(), String.format(SLICES, "%s4", "%s5"), "root",
        "do not tile axis 1");
  }

  @Test
  void slicesNotWithBoundsThatAreNotConstant() {
    assertNoMatch(new FuseSlicesToSplit(), String.format(SLICES, "%e", "%s4"), "root",
        "constant bounds");
  }
}
