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
 * {@code fuse-qdq-matmul} through {@link RuleCases}: a QDQ MatMul with a batched activation and a
 * per-column weight becomes the standard QLinearMatMul on every target, keeping the outputs in
 * Convoy's evaluator and ONNX Runtime at two batch sizes; it does not fire where the float product
 * escapes, with a scale that is not positive, with a weight quantized per row, with a type pair
 * ONNX Runtime has no kernel for, or below opset 10.
 */
class QdqMatMulTest {
  private static final String GROUP = """
      graph g (%x: float32[N,3,4]) -> (%y: float32[N,3,2]) {
        opset "" 13
        init %as: float32[] = [0.03]
        init %az: uint8[] = [128]
        init %bq: int8[4,2] = [12, -7, 100, -128, 5, 33, 64, -1]
        init %bs: float32[2] = [0.004, 0.002]
        init %bz: int8[2] = [0, 3]
        init %ys: float32[] = [0.02]
        init %yz: uint8[] = [120]
        %qa: uint8[N,3,4] = QuantizeLinear(%x, %as, %az) @qa
        %da: float32[N,3,4] = DequantizeLinear(%qa, %as, %az) @da
        %db: float32[4,2] = DequantizeLinear(%bq, %bs, %bz) {axis=1} @db
        %mm: float32[N,3,2] = MatMul(%da, %db) @matmul
        %qy: uint8[N,3,2] = QuantizeLinear(%mm, %ys, %yz) @root
        %y = DequantizeLinear(%qy, %ys, %yz) @dy
      }
      """;

  private static final RuleCases CASES = RuleCases.of(new FuseQdqMatMul(), GROUP, "root")
      .atShapes(Map.of("x", new long[] {2, 3, 4}));

  @Test
  void fusesIntoQLinearMatMulAndKeepsOutputs() {
    Graph g = CASES.firesAndKeepsOutputs();
    assertEquals(1, g.opHistogram().get("QLinearMatMul"));
    assertEquals(null, g.opHistogram().get("MatMul"));
  }

  @Test
  void keepsOutputsAtTwoBatchSizes() {
    CASES.keepsOutputsAtShapes(Map.of("x", new long[] {1, 3, 4}),
        Map.of("x", new long[] {5, 3, 4}));
  }

  @Test
  void writesTheStandardOpForOrtAndCvyTargetsToo() {
    for (Target t : new Target[] {Target.STANDARD.withOrtOps(true), Target.CVY}) {
      Graph g = CASES.with(OptimizeOptions.atLevel(Level.O2).withTarget(t))
          .atShapes(Map.of("x", new long[] {2, 3, 4})).firesAndKeepsOutputs();
      assertEquals(1, g.opHistogram().get("QLinearMatMul"), t.toString());
    }
  }

  @Test
  void notWhereTheFloatProductEscapes() {
    CASES.notWhereGraphOutput("mm");
    CASES.notWhereAnotherConsumer("mm");
  }

  @Test
  void notWithAScaleThatIsNotPositive() {
    CASES.notWithConstant("as", 0f, "DequantizeLinear da has scale 0.0, not finite and positive");
  }

  @Test
  void notWithAWeightQuantizedPerRow() {
    RuleCases.of(new FuseQdqMatMul(), GROUP.replace("init %bs: float32[2] = [0.004, 0.002]",
            "init %bs: float32[4] = [0.004, 0.002, 0.003, 0.001]")
        .replace("init %bz: int8[2] = [0, 3]", "init %bz: int8[4] = [0, 0, 0, 0]")
        .replace("{axis=1}", "{axis=0}"), "root")
        .notFiring("DequantizeLinear db is per axis 0 but not per column of a matrix");
  }

  @Test
  void notForInt8ActivationsWithUint8Weights() {
    RuleCases.of(new FuseQdqMatMul(), GROUP.replace("uint8", "int8").replace("int8[4,2]",
            "uint8[4,2]").replace("int8[2]", "uint8[2]").replace("[128]", "[0]")
        .replace("-7, 100, -128, 5, 33, 64, -1", "7, 100, 128, 5, 33, 64, 1"), "root")
        .notFiring("matmul quantizes int8 x uint8 -> int8");
  }

  @Test
  void notBelowOpset10() {
    RuleCases.of(new FuseQdqMatMul(), GROUP.replace("opset \"\" 13", "opset \"\" 9")
            .replace(" {axis=1}", "").replace("float32[2] = [0.004, 0.002]", "float32[] = [0.004]")
            .replace("int8[2] = [0, 3]", "int8[] = [0]"), "root")
        .notFiring("QLinearMatMul needs opset 10");
  }
}
