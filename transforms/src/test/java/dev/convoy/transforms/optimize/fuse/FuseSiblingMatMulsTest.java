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
 * {@link FuseSiblingMatMuls}: a quantized transformer's query, key and value projections (one
 * input, per-column zero points) become one MatMulInteger and a Split, checked in ONNX Runtime at
 * two batch and sequence sizes; two products without the same op after each stay.
 */
class FuseSiblingMatMulsTest {
  private static final String QKV = """
      graph g (%x: uint8[batch,seq,4]) -> (%q: float32[batch,seq,3], %k: float32[batch,seq,3],
          %v: float32[batch,seq,2]) {
        opset "" 13
        init %xz: uint8[] = [120]
        init %Wq: int8[4,3] = [99, -26, -79, -96, 51, -22, 8, -3, 35, -9, -67, 85]
        init %Wk: int8[4,3] = [-51, -32, 13, -97, -44, 58, 16, -94, -73, -79, 81, 27]
        init %Wv: int8[4,2] = [7, -95, 31, 60, 87, 10, -9, 97]
        init %zq: int8[3] = [0, 1, -2]
        init %zk: int8[3] = [0, 0, 0]
        init %zv: int8[2] = [5, 0]
        %iq: int32[batch,seq,3] = MatMulInteger(%x, %Wq, %xz, %zq) @root
        %ik: int32[batch,seq,3] = MatMulInteger(%x, %Wk, %xz, %zk) @mm_k
        %iv: int32[batch,seq,2] = MatMulInteger(%x, %Wv, %xz, %zv) @mm_v
        %q = Cast(%iq) {to=1} @cast_q
        %k = Cast(%ik) {to=1} @cast_k
        %v = Cast(%iv) {to=1} @cast_v
      }
      """;

  private static final RuleCases CASES = RuleCases.of(new FuseSiblingMatMuls(), QKV, "root");

  @Test
  void projectionsBecomeOneProductAndASplitAtEveryShape() {
    Graph g = CASES.atShapes(Map.of("x", new long[] {2, 3, 4})).firesAndKeepsOutputs();
    assertEquals(1, g.opHistogram().get("MatMulInteger"));
    assertEquals(1, g.opHistogram().get("Split"));
    CASES.keepsOutputsAtShapes(
        Map.of("x", new long[] {1, 1, 4}), Map.of("x", new long[] {3, 7, 4}));
  }

  @Test
  void notForTwoProductsWithoutTheSameOpAfterEach() {
    RuleCases.of(new FuseSiblingMatMuls(), QKV
            .replace("%iv: int32[batch,seq,2] = MatMulInteger(%x, %Wv, %xz, %zv) @mm_v\n", "")
            .replace("%v = Cast(%iv) {to=1} @cast_v", "%v = Cast(%ik) {to=1} @cast_v"), "root")
        .notFiring("two products without the same op after each save no node");
  }

  @Test
  void leavesAProductWithAnotherInputZeroPoint() {
    Graph g = RuleCases.of(new FuseSiblingMatMuls(), QKV
            .replace("init %xz: uint8[] = [120]", "init %xz: uint8[] = [120]\n  init %xz2: uint8[] = [7]")
            .replace("MatMulInteger(%x, %Wk, %xz, %zk)", "MatMulInteger(%x, %Wk, %xz2, %zk)"), "root")
        .atShapes(Map.of("x", new long[] {2, 3, 4})).firesAndKeepsOutputs();
    assertEquals(2, g.opHistogram().get("MatMulInteger"));
  }

  private static final String HALF = """
      graph g (%x: float16[2,4]) -> (%q: float16[2,3], %k: float16[2,3], %v: float16[2,2]) {
        opset "" 13
        init %Wq: float16[4,3] = [0.5, -0.25, 1.0, 0.75, -1.5, 0.125, 2.0, -0.5, 0.25, 1.25, -0.75, 0.5]
        init %Wk: float16[4,3] = [-0.5, 0.25, 0.125, 1.0, -1.0, 0.5, 0.75, -0.25, 1.5, -0.125, 0.5, 0.25]
        init %Wv: float16[4,2] = [0.25, -1.0, 0.5, 0.75, -0.5, 1.0, 0.125, -0.25]
        %q = MatMul(%x, %Wq) @root
        %k = MatMul(%x, %Wk) @mm_k
        %v = MatMul(%x, %Wv) @mm_v
      }
      """;

  @Test
  void notForHalfPrecisionProductsOnAnyTarget() {
    RuleCases.of(new FuseSiblingMatMuls(), HALF, "root")
        .notFiring("a float16 product in ONNX Runtime rounds a wider matrix differently");
    RuleCases.of(new FuseSiblingMatMuls(), HALF, "root")
        .with(OptimizeOptions.atLevel(Level.O2).withTarget(Target.STANDARD.withOrtOps(true)))
        .notFiring("a float16 product in ONNX Runtime rounds a wider matrix differently");
    RuleCases.of(new FuseSiblingMatMuls(), HALF, "root")
        .with(OptimizeOptions.atLevel(Level.O2).withTarget(Target.CVY))
        .notFiring("a float16 product in ONNX Runtime rounds a wider matrix differently");
    RuleCases.of(new FuseSiblingMatMuls(), HALF.replace("float16", "float32"), "root")
        .with(OptimizeOptions.atLevel(Level.O2).withTarget(Target.CVY)).firesAndKeepsOutputs();
  }
}
