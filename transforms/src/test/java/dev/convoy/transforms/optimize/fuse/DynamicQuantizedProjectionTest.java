package dev.convoy.transforms.optimize.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.ir.graph.Graph;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.RuleCases;
import dev.convoy.transforms.optimize.Target;
import org.junit.jupiter.api.Test;

/**
 * The dynamic-quantization projection rules through {@link RuleCases}: {@code
 * fuse-matmul-integer-to-float} and {@code fuse-dynamic-quantize-matmul} fire on the chain that
 * ONNX Runtime's dynamic quantizer writes (DynamicQuantizeLinear, MatMulInteger, Cast, the scale
 * Muls, the bias Add) and keep the outputs in Convoy's evaluator and in ONNX Runtime, for the
 * {@code cvy} target (convoy ops, expanded back for ONNX Runtime) and, MatMulIntegerToFloat only,
 * for {@code --onnx-ops ort} (the com.microsoft op that ONNX Runtime runs itself); they do not
 * fire where an intermediate escapes, on the standard target, or where a scale is not one value
 * per tensor or column.
 */
class DynamicQuantizedProjectionTest {
  private static final OptimizeOptions ORT =
      OptimizeOptions.atLevel(Level.O2).withTarget(Target.STANDARD.withOrtOps(true));
  private static final OptimizeOptions CVY =
      OptimizeOptions.atLevel(Level.O2).withTarget(Target.CVY);

  /** x [2,3,4] float -> projection to 3 columns with bias; b_scale {@code [ws]} given. */
  private static String projection(String bScale) {
    String dims = bScale.substring(bScale.indexOf('['), bScale.indexOf(']') + 1);
    return """
        graph g (%%x: float32[2,3,4]) -> (%%y: float32[2,3,3]) {
          opset "" 13
          init %%w: int8[4,3] = [12, -7, 100, -128, 5, 33, 64, -1, 0, 9, -90, 127]
          init %%wz: int8[] = [0]
          init %%ws: %s
          init %%bias: float32[3] = [0.5, -0.25, 1.5]
          %%q: uint8[2,3,4], %%s: float32[], %%z: uint8[] = DynamicQuantizeLinear(%%x) @dq
          %%m: float32%s = Mul(%%s, %%ws) @scales
          %%acc: int32[2,3,3] = MatMulInteger(%%q, %%w, %%z, %%wz) @mmi
          %%f: float32[2,3,3] = Cast(%%acc) {to=1} @cast
          %%p: float32[2,3,3] = Mul(%%f, %%m) @root
          %%y = Add(%%bias, %%p) @add
        }
        """.formatted(bScale, dims);
  }

  private static final String PER_COLUMN = "float32[3] = [0.02, 0.013, 0.031]";
  private static final String PER_TENSOR = "float32[] = [0.017]";

  private static RuleCases toFloat(String bScale, OptimizeOptions o) {
    return RuleCases.of(new FuseMatMulIntegerToFloat(), projection(bScale), "root").with(o);
  }

  @Test
  void matMulIntegerToFloatFusesForOnnxRuntimeAndKeepsOutputs() {
    Graph g = toFloat(PER_COLUMN, ORT).firesAndKeepsOutputs();
    assertEquals(1, g.opHistogram().get("com.microsoft::MatMulIntegerToFloat"));
    assertEquals(null, g.opHistogram().get("Add"), "the bias Add is absorbed");
    assertEquals(null, g.opHistogram().get("Cast"));
  }

  @Test
  void matMulIntegerToFloatFusesIntoAConvoyOpForCvyAndKeepsOutputs() {
    Graph g = toFloat(PER_TENSOR, CVY).firesAndKeepsOutputs();
    assertEquals(1, g.opHistogram().get("convoy::MatMulIntegerToFloat"));
    assertEquals(1, g.opHistogram().size() - 1, "DynamicQuantizeLinear and the fused op only");
  }

  @Test
  void matMulIntegerToFloatNotOnTheStandardTarget() {
    RuleCases.of(new FuseMatMulIntegerToFloat(), projection(PER_COLUMN), "root")
        .notFiring("the target allows neither convoy nor ONNX Runtime ops");
  }

  @Test
  void matMulIntegerToFloatNotWhereAnIntermediateEscapes() {
    RuleCases c = toFloat(PER_COLUMN, ORT);
    c.notWhereGraphOutput("f");
    c.notWhereAnotherConsumer("f");
    c.notWhereGraphOutput("acc");
    c.notWhereAnotherConsumer("acc");
  }

  @Test
  void matMulIntegerToFloatNotWithAScaleOfAnotherShape() {
    toFloat("float32[1,3] = [0.02, 0.013, 0.031]", ORT).notFiring(
        "the multiplier m is not float32 with one value or 3 per column");
  }

  @Test
  void matMulIntegerToFloatNotFromAnotherCast() {
    RuleCases.of(new FuseMatMulIntegerToFloat(), projection(PER_COLUMN).replace("{to=1}",
        "{to=11}").replace("%f: float32", "%f: float64"), "root").with(ORT)
        .notFiring("Cast cast does not produce float32");
  }

  /** The projection as fuse-matmul-integer-to-float leaves it, in {@code domain}. */
  private static String fused(String domain) {
    return """
        graph g (%%x: float32[2,3,4]) -> (%%y: float32[2,3,3]) {
          opset "" 13
          opset "%1$s" 1
          init %%w: int8[4,3] = [12, -7, 100, -128, 5, 33, 64, -1, 0, 9, -90, 127]
          init %%wz: int8[] = [0]
          init %%ws: float32[3] = [0.02, 0.013, 0.031]
          init %%bias: float32[3] = [0.5, -0.25, 1.5]
          %%q: uint8[2,3,4], %%s: float32[], %%z: uint8[] = DynamicQuantizeLinear(%%x) @root
          %%y = %1$s::MatMulIntegerToFloat(%%q, %%w, %%s, %%ws, %%z, %%wz, %%bias) @mm
        }
        """.formatted(domain);
  }

  @Test
  void dynamicQuantizeMatMulFusesIntoAConvoyOpForCvyAndKeepsOutputs() {
    Graph g = RuleCases.of(new FuseDynamicQuantizeMatMul(), fused("convoy"), "root")
        .with(CVY).firesAndKeepsOutputs();
    assertEquals(1, g.opHistogram().get("convoy::DynamicQuantizeMatMul"));
  }

  @Test
  void dynamicQuantizeMatMulNotWhereTheQuantizationIsShared() {
    RuleCases c = RuleCases.of(new FuseDynamicQuantizeMatMul(), fused("convoy"), "root")
        .with(CVY);
    c.notWhereAnotherConsumer("q");
    c.notWhereAnotherConsumer("s");
    c.notWhereGraphOutput("z");
  }

  @Test
  void dynamicQuantizeMatMulOnlyForCvy() {
    RuleCases.of(new FuseDynamicQuantizeMatMul(), fused("com.microsoft"), "root").with(CVY)
        .notFiring("q is not read by a convoy::MatMulIntegerToFloat");
    RuleCases.of(new FuseDynamicQuantizeMatMul(), fused("com.microsoft"), "root").with(ORT)
        .notFiring("only the cvy target");
  }
}
