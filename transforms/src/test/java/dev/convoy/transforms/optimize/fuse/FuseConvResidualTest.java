package dev.convoy.transforms.optimize.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.Optimizer;
import dev.convoy.transforms.optimize.RuleCases;
import dev.convoy.transforms.optimize.Target;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code fuse-conv-residual}: a ResNet block's residual Sum (and the ReLU after it, which
 * {@code fuse-activation} then takes at O2) keeps its outputs in the evaluator and in ONNX
 * Runtime on the exported expansion; the reasons it gives where it must not fire.
 */
class FuseConvResidualTest {
  private static final OptimizeOptions CVY = OptimizeOptions.atLevel(Level.O2)
      .withTarget(Target.CVY);

  private static final String BLOCK = """
      graph g (%%x: float32[1,3,7,6]) -> (%%y: float32[1,3,7,6]) {
        opset "" 13
        init %%W: float32[3,3,3,3] = [%s]
        init %%B: float32[3] = [0.1, -0.3, 0.7]
        %%h: float32[1,3,7,6] = Conv(%%x, %%W, %%B) {pads=[1,1,1,1]} @conv
        %%s: float32[1,3,7,6] = %s @root
        %%y = Relu(%%s) @relu
      }
      """;

  private static String block(String add) {
    StringBuilder w = new StringBuilder();
    for (int i = 0; i < 81; i++) {
      w.append(i == 0 ? "" : ", ").append((float) Math.cos(i * 0.41) * 0.4f);
    }
    return String.format(BLOCK, w, add);
  }

  @Test
  void addsTheResidualInTheConvAndKeepsOutputs() {
    RuleCases.of(new FuseConvResidual(), block("Sum(%x, %h)"), "root").with(CVY)
        .firesAndKeepsOutputs();
    RuleCases.of(new FuseConvResidual(), block("Add(%h, %x)"), "root").with(CVY)
        .firesAndKeepsOutputs();
  }

  /** The block with the batch and height as named symbols (both operands) or unknown (one). */
  private static String symbolic(String xHeight, String hHeight) {
    return block("Add(%h, %x)").replace("%x: float32[1,3,7,6]", "%x: float32[N,3," + xHeight
        + ",6]").replace("%h: float32[1,3,7,6]", "%h: float32[N,3," + hHeight + ",6]")
        .replace("%s: float32[1,3,7,6]", "%s: float32[N,3," + xHeight + ",6]")
        .replace("%y: float32[1,3,7,6]", "%y: float32[N,3," + xHeight + ",6]");
  }

  @Test
  void addsAResidualOfTheSameSymbolicShape() {
    RuleCases.of(new FuseConvResidual(), symbolic("H", "H"), "root").with(CVY)
        .atShapes(Map.of("x", new long[] {2, 3, 7, 6})).firesAndKeepsOutputs();
  }

  @Test
  void notWhereADimIsUnknownOrNamedDifferently() {
    // h's height is x's through the conv (stride 1, pads 1 and 1 on 3 taps), whatever its type
    // says, but v, another input, is not computed from x.
    for (String height : new String[] {"?", "K"}) {
      String unrelated = symbolic("H", height).replace("Add(%h, %x)", "Add(%h, %v)")
          .replace("(%x: float32[N,3,H,6])", "(%x: float32[N,3,H,6], %v: float32[N,3,"
              + height + ",6])");
      RuleCases.of(new FuseConvResidual(), unrelated, "root").with(CVY)
          .notFiring("v does not provably have h's shape");
    }
  }

  /**
   * Silero's block with its length unknown: a depthwise (window 5, pads 2 and 2) then {@code
   * branch} conv added to {@code z}, a pointwise projection of the same input (or the input).
   */
  private static String unknownLength(String branch, String z) {
    StringBuilder w = new StringBuilder();
    for (int i = 0; i < 20; i++) {
      w.append(i == 0 ? "" : ", ").append((float) Math.sin(i * 0.7) * 0.5f);
    }
    StringBuilder p = new StringBuilder();
    for (int i = 0; i < 16; i++) {
      p.append(i == 0 ? "" : ", ").append((float) Math.cos(i * 0.3) * 0.5f);
    }
    return String.format("""
        graph g (%%x: float32[N,4,?]) -> (%%y: float32[N,4,?]) {
          opset "" 13
          init %%D: float32[4,1,5] = [%s]
          init %%P: float32[4,4,1] = [%s]
          init %%B: float32[4] = [0.1, -0.3, 0.7, 0.2]
          %%d: float32[N,4,?] = Conv(%%x, %%D, %%B) {group=4, kernel_shape=[5], pads=[2,2]} @dw
          %%h: float32[N,4,?] = %s @pw
          %%r: float32[N,4,?] = Conv(%%x, %%P, %%B) {kernel_shape=[1]} @proj
          %%s: float32[N,4,?] = Add(%%h, %s) @root
          %%y = Relu(%%s) @relu
        }
        """, w, p, branch, z);
  }

  @Test
  void addsAResidualOfUnknownLengthComputedFromTheSameInput() {
    String pw = "Conv(%d, %P, %B) {kernel_shape=[1]}";
    RuleCases.of(new FuseConvResidual(), unknownLength(pw, "%r"), "root").with(CVY)
        .atShapes(Map.of("x", new long[] {1, 4, 11})).firesAndKeepsOutputs();
    RuleCases.of(new FuseConvResidual(), unknownLength(pw, "%x"), "root").with(CVY)
        .atShapes(Map.of("x", new long[] {2, 4, 9})).firesAndKeepsOutputs();
    RuleCases.of(new FuseConvResidual(), symbolic("H", "?"), "root").with(CVY)
        .atShapes(Map.of("x", new long[] {2, 3, 7, 6})).firesAndKeepsOutputs();
  }

  @Test
  void notWhereAConvOnTheWayChangesTheLength() {
    RuleCases.of(new FuseConvResidual(),
        unknownLength("Conv(%d, %P, %B) {kernel_shape=[1], strides=[2]}", "%r"), "root")
        .with(CVY).notFiring("r does not provably have h's shape");
    RuleCases.of(new FuseConvResidual(),
        unknownLength("Conv(%d, %D, %B) {group=4, kernel_shape=[5], pads=[2,1]}", "%r"), "root")
        .with(CVY).notFiring("r does not provably have h's shape");
  }

  @Test
  void theReluJoinsTheConvAtO2() {
    Graph g = Optimizer.optimize(GraphParser.parse(block("Add(%h, %x)")), CVY).graph();
    assertEquals(1, g.nodes().size(), g.toString());
    assertEquals("FusedConv", g.nodes().get(0).opType());
    assertEquals("Relu", g.nodes().get(0).stringAttr("activation", ""));
  }

  @Test
  void notWhereTheConvOutputEscapes() {
    RuleCases c = RuleCases.of(new FuseConvResidual(), block("Add(%h, %x)"), "root").with(CVY);
    c.notWhereGraphOutput("h");
    c.notWhereAnotherConsumer("h");
  }

  @Test
  void notWithABroadcastOrConstantOperand() {
    String text = block("Add(%h, %v)").replace("init %B:",
        "init %v: float32[1,3,1,1] = [1.0, 2.0, 3.0]\n  init %B:");
    RuleCases.of(new FuseConvResidual(), text, "root").with(CVY)
        .notFiring("v is a constant, not a residual");
    String broadcast = block("Add(%h, %v)")
        .replace("(%x: float32[1,3,7,6])", "(%x: float32[1,3,7,6], %v: float32[1,3,1,1])");
    RuleCases.of(new FuseConvResidual(), broadcast, "root").with(CVY)
        .notFiring("v does not provably have h's shape");
  }

  @Test
  void notOnTheStandardTargetNorAtO3() {
    RuleCases.of(new FuseConvResidual(), block("Add(%h, %x)"), "root")
        .notFiring("the target has no convoy ops");
    RuleCases.of(new FuseConvResidual(), block("Add(%h, %x)"), "root")
        .with(OptimizeOptions.atLevel(Level.O3).withTarget(Target.CVY))
        .notFiring("O3 converts the convs to NHWC");
  }
}
