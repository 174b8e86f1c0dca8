package dev.convoy.transforms.optimize.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.ir.graph.Graph;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.RuleCases;
import dev.convoy.transforms.optimize.Target;
import org.junit.jupiter.api.Test;

/**
 * {@code fuse-sibling-matmul-integer-to-float}: ONNX Runtime runs the merged product and Split and
 * matches the three products (and so does Convoy's evaluator), with per-column and with shared
 * scales; where the products do not share their quantization or scale, it does not fire.
 */
class FuseSiblingMatMulIntegerToFloatTest {
  private static final OptimizeOptions ORT = OptimizeOptions.atLevel(Level.O2)
      .withTarget(Target.STANDARD.withOrtOps(true));

  /** Three products of one quantized input: the scales' shape, K's zero point, the scales. */
  private static final String QKV = """
      graph g (%%x: float32[2,5,4]) -> (%%q: float32[2,5,3], %%k: float32[2,5,3], %%v: float32[2,5,3]) {
        opset "" 13
        opset "com.microsoft" 1
        init %%wq: int8[4,3] = [1, -2, 3, 4, -5, 6, -7, 8, 9, 10, -11, 12]
        init %%wk: int8[4,3] = [-3, 2, 1, 0, 5, -6, 7, 8, -9, 1, 11, -12]
        init %%wv: int8[4,3] = [2, 4, -6, 8, 10, -12, 14, 16, 3, 5, 7, -9]
        init %%sq: float32[%1$s] = %3$s
        init %%sk: float32[%1$s] = %3$s
        init %%sv: float32[%1$s] = %3$s
        init %%bq: float32[3] = [0.5, -0.25, 0.125]
        init %%bk: float32[3] = [-0.5, 0.75, 1.0]
        init %%bv: float32[3] = [0.1, -0.2, 0.3]
        init %%kz: uint8[] = [3]
        %%xq: uint8[2,5,4], %%xs: float32[], %%xz: uint8[] = DynamicQuantizeLinear(%%x) @quantize
        %%q = com.microsoft::MatMulIntegerToFloat(%%xq, %%wq, %%xs, %%sq, %%xz, _, %%bq) @root
        %%k = com.microsoft::MatMulIntegerToFloat(%%xq, %%wk, %%xs, %%sk, %%%2$s, _, %%bk) @k_proj
        %%v = com.microsoft::MatMulIntegerToFloat(%%xq, %%wv, %%xs, %%sv, %%xz, _, %%bv) @v_proj
      }
      """;

  private static RuleCases cases(String scaleShape, String scales, String kZeroPoint) {
    return RuleCases.of(new FuseSiblingMatMulIntegerToFloat(),
        String.format(QKV, scaleShape, kZeroPoint, scales), "root").with(ORT);
  }

  @Test
  void mergesPerColumnScalesAndBiasesWhichOnnxRuntimeRuns() {
    Graph g = cases("3", "[0.01, 0.02, 0.03]", "xz").firesAndKeepsOutputs();
    assertEquals(3, g.totalNodeCount(), "the quantization, one product and the Split");
  }

  @Test
  void mergesOneSharedScale() {
    cases("", "[0.01]", "xz").firesAndKeepsOutputs();
  }

  @Test
  void notWhereAScalarScaleDiffers() {
    cases("", "[0.01]", "xz").notWithConstant("sk", 0.02f, "fewer than three products");
  }

  @Test
  void notWhereAProductHasAnotherZeroPoint() {
    cases("3", "[0.01, 0.02, 0.03]", "kz").notFiring("fewer than three products");
  }

  @Test
  void notForOtherTargets() {
    RuleCases.of(new FuseSiblingMatMulIntegerToFloat(),
        String.format(QKV, "3", "xz", "[0.01, 0.02, 0.03]"), "root")
        .notFiring("does not write ONNX Runtime's ops");
  }
}
