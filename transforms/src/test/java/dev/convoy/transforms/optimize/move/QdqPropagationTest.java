package dev.convoy.transforms.optimize.move;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.ir.graph.Graph;
import dev.convoy.transforms.optimize.RuleCases;
import dev.convoy.transforms.optimize.eliminate.EliminateDequantizeQuantize;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * QDQ propagation through {@link RuleCases}: {@code move-dequantize-linear} moves a
 * DequantizeLinear below a Transpose toward a MatMul, {@code move-quantize-linear} a
 * QuantizeLinear above a Reshape toward the MatMul computing its input, and {@code
 * eliminate-dequantize-quantize} cancels the pair that meets; each keeps ONNX Runtime's outputs
 * at two batch sizes and says why it does not fire where an intermediate escapes, a scale is not
 * positive, a per-axis parameter's axis is not kept whole, or the parameters differ.
 */
class QdqPropagationTest {
  private static final String DEQUANTIZED_TRANSPOSE = """
      graph g (%x: float32[N,3,4]) -> (%y: float32[N,4,2]) {
        opset "" 13
        init %s: float32[] = [0.05]
        init %z: int8[] = [3]
        init %m: float32[3,2] = [0.5, -1, 2, 0.25, 1, -0.5]
        %qx: int8[N,3,4] = QuantizeLinear(%x, %s, %z) @qx
        %dx: float32[N,3,4] = DequantizeLinear(%qx, %s, %z) @dx
        %tx: float32[N,4,3] = Transpose(%dx) {perm=[0,2,1]} @root
        %y = MatMul(%tx, %m) @matmul
      }
      """;

  private static final String QUANTIZED_RESHAPE = """
      graph g (%x: float32[N,3,4]) -> (%y: float32[N,6]) {
        opset "" 13
        init %s: float32[] = [0.05]
        init %z: uint8[] = [120]
        init %m: float32[4,2] = [0.5, -1, 2, 0.25, 1, -0.5, 3, 1.5]
        init %shape: int64[2] = [-1, 6]
        %mm: float32[N,3,2] = MatMul(%x, %m) @matmul
        %r: float32[N,6] = Reshape(%mm, %shape) @reshape
        %q: uint8[N,6] = QuantizeLinear(%r, %s, %z) @root
        %y = DequantizeLinear(%q, %s, %z) @dq
      }
      """;

  private static final String PAIR = """
      graph g (%x: float32[N,4]) -> (%y: float32[N,4]) {
        opset "" 13
        init %s: float32[] = [0.05]
        init %z: int8[] = [3]
        %q1: int8[N,4] = QuantizeLinear(%x, %s, %z) @q1
        %d1: float32[N,4] = DequantizeLinear(%q1, %s, %z) @d1
        %q2: int8[N,4] = QuantizeLinear(%d1, %s, %z) @root
        %y = DequantizeLinear(%q2, %s, %z) @d2
      }
      """;

  private static final Map<String, long[]> ONE = Map.of("x", new long[] {1, 3, 4});
  private static final Map<String, long[]> FIVE = Map.of("x", new long[] {5, 3, 4});

  private static RuleCases dequantized() {
    return RuleCases.of(new MoveDequantizeLinear(), DEQUANTIZED_TRANSPOSE, "root").atShapes(FIVE);
  }

  private static RuleCases quantized() {
    return RuleCases.of(new MoveQuantizeLinear(), QUANTIZED_RESHAPE, "root").atShapes(FIVE);
  }

  @Test
  void movesADequantizationBelowATransposeAndKeepsOutputs() {
    Graph g = dequantized().firesAndKeepsOutputs();
    assertEquals("Transpose", g.lookup("qx").uses().get(0).node().opType());
    dequantized().keepsOutputsAtShapes(ONE, FIVE);
  }

  @Test
  void dequantizationStaysWhereItsValueEscapes() {
    dequantized().notWhereGraphOutput("dx");
    dequantized().notWhereAnotherConsumer("dx");
  }

  @Test
  void dequantizationStaysWithAScaleThatIsNotPositive() {
    dequantized().notWithConstant("s", 0f, "DequantizeLinear dx has scale 0.0");
  }

  @Test
  void perAxisDequantizationStaysWhereTheOpMixesItsAxis() {
    String perAxis = DEQUANTIZED_TRANSPOSE
        .replace("init %s: float32[] = [0.05]",
            "init %s: float32[] = [0.05]\n  init %cs: float32[3] = [0.05, 0.1, 0.2]\n"
                + "  init %cz: int8[3] = [0, 1, 2]\n  init %flat: int64[3] = [0, 4, 3]")
        .replace("%dx: float32[N,3,4] = DequantizeLinear(%qx, %s, %z) @dx",
            "%dx: float32[N,3,4] = DequantizeLinear(%qx, %cs, %cz) {axis=1} @dx")
        .replace("%tx: float32[N,4,3] = Transpose(%dx) {perm=[0,2,1]} @root",
            "%tx: float32[N,4,3] = Reshape(%dx, %flat) @root");
    RuleCases.of(new MoveDequantizeLinear(), perAxis, "root")
        .notFiring("DequantizeLinear dx is per axis 1, which Reshape root does not keep whole");
    String transposed = perAxis.replace("Reshape(%dx, %flat) @root",
        "Transpose(%dx) {perm=[0,2,1]} @root");
    Graph g = RuleCases.of(new MoveDequantizeLinear(), transposed, "root").atShapes(FIVE)
        .firesAndKeepsOutputs();
    assertEquals(2L, g.lookup("qx").uses().get(0).node().output(0).uses().get(0).node()
        .intAttr("axis", 1));
  }

  @Test
  void padValueNeedsAnExactlyDequantizedInteger() {
    String pad = DEQUANTIZED_TRANSPOSE
        .replace("init %m: float32[3,2]", "init %pads: int64[6] = [0, 0, 0, 0, 0, 1]\n"
            + "  init %v: float32[] = [-0.0]\n  init %m: float32[3,2]")
        .replace("%tx: float32[N,4,3] = Transpose(%dx) {perm=[0,2,1]} @root",
            "%pd: float32[N,3,5] = Pad(%dx, %pads, %v) @root\n"
                + "  %tx: float32[N,5,3] = Transpose(%pd) {perm=[0,2,1]} @t")
        .replace("%y: float32[N,4,2]", "%y: float32[N,5,2]");
    RuleCases.of(new MoveDequantizeLinear(), pad, "root")
        .notFiring("root pads with -0.0, which no int8 dequantizes to exactly");
    RuleCases.of(new MoveDequantizeLinear(), pad.replace("[-0.0]", "[0.25]"), "root")
        .atShapes(FIVE).keepsOutputsAtShapes(ONE, FIVE);
  }

  @Test
  void movesAQuantizationAboveAReshapeAndKeepsOutputs() {
    Graph g = quantized().firesAndKeepsOutputs();
    assertEquals("QuantizeLinear", g.lookup("mm").uses().get(0).node().opType());
    quantized().keepsOutputsAtShapes(ONE, FIVE);
  }

  @Test
  void quantizationStaysWhereTheOpsResultEscapes() {
    quantized().notWhereGraphOutput("r");
    quantized().notWhereAnotherConsumer("r");
  }

  @Test
  void quantizationStaysWithAScaleThatIsNotPositive() {
    quantized().notWithConstant("s", -1f, "QuantizeLinear root has scale -1.0");
  }

  @Test
  void perAxisQuantizationStaysWhereTheOpMixesItsAxis() {
    String perAxis = QUANTIZED_RESHAPE
        .replace("init %z: uint8[] = [120]", "init %z: uint8[] = [120]\n"
            + "  init %cs: float32[6] = [0.05, 0.1, 0.2, 0.05, 0.1, 0.2]\n"
            + "  init %cz: uint8[6] = [120, 121, 122, 123, 124, 125]")
        .replace("QuantizeLinear(%r, %s, %z) @root", "QuantizeLinear(%r, %cs, %cz) @root")
        .replace("DequantizeLinear(%q, %s, %z) @dq", "DequantizeLinear(%q, %cs, %cz) @dq");
    RuleCases.of(new MoveQuantizeLinear(), perAxis, "root")
        .notFiring("QuantizeLinear root is per axis 1, which Reshape reshape does not keep whole");
  }

  @Test
  void cancelsAMeetingPairAndKeepsOutputs() {
    RuleCases pair = RuleCases.of(new EliminateDequantizeQuantize(), PAIR, "root")
        .atShapes(Map.of("x", new long[] {3, 4}));
    Graph g = pair.firesAndKeepsOutputs();
    assertEquals("q1", g.lookup("y").producer().input(0).producer().name());
    pair.keepsOutputsAtShapes(Map.of("x", new long[] {1, 4}), Map.of("x", new long[] {7, 4}));
  }

  @Test
  void pairStaysWithOtherParameters() {
    RuleCases pair = RuleCases.of(new EliminateDequantizeQuantize(),
        PAIR.replace("init %z: int8[] = [3]", "init %z: int8[] = [3]\n"
            + "  init %s2: float32[] = [0.05]").replace("QuantizeLinear(%d1, %s, %z) @root",
            "QuantizeLinear(%d1, %s2, %z) @root"), "root");
    pair.notWithConstant("s2", 0.1f, "QuantizeLinear root does not undo DequantizeLinear d1");
    RuleCases.of(new EliminateDequantizeQuantize(), PAIR.replace(
            "%q2: int8[N,4] = QuantizeLinear(%d1, %s, %z) @root",
            "%q2: uint8[N,4] = QuantizeLinear(%d1, %s) @root")
        .replace("DequantizeLinear(%q2, %s, %z) @d2", "DequantizeLinear(%q2, %s) @d2"), "root")
        .notFiring("QuantizeLinear root does not undo DequantizeLinear d1");
  }
}
