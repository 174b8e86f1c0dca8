package dev.convoy.transforms.optimize.fold;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.ir.text.GraphPrinter;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.OptimizeResult;
import dev.convoy.transforms.optimize.Optimizer;
import dev.convoy.transforms.testing.OrtFixture;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * ONNX Runtime as the oracle of constant folding and of the exactness of algebraic identities:
 * each case is a small model whose original and O1-optimized forms run in ORT (optimizations off)
 * and must give the same bits (NaNs equal to NaNs, {@code -0.0} told from {@code +0.0}, strings
 * byte for byte, the same shapes). Where the fold or the identity is exact, the case also asserts
 * that it happened, so the safety checks are not satisfied by never folding; where ORT computes
 * something Convoy's kernel cannot promise, it asserts the node stayed.
 */
class FoldingAgreesWithOrtTest {
  @RegisterExtension static final OrtFixture ORT = new OrtFixture();

  // ---- casts ----

  @Test
  void leavesFloatToIntCastsOfNanInfinityAndOutOfRangeUnfolded() {
    Graph g = agrees("""
        graph g () -> (%a: int64[4], %b: int32[3]) {
          opset "" 17
          init %x: float32[4] = [nan, inf, -inf, 1e20]
          init %y: float32[3] = [3e9, -3e9, nan]
          %a = Cast(%x) {to=7} @cast_i64
          %b = Cast(%y) {to=6} @cast_i32
        }
        """, Map.of());
    assertEquals(2, count(g, "Cast"), "undefined casts must stay: " + GraphPrinter.print(g));
    assertTrue(lastNotes.stream().anyMatch(n -> n.startsWith("fold-constants: ")
        && n.contains("'cast_i64'") && n.contains("undefined")), "noted: " + lastNotes);
  }

  @Test
  void foldsFloatToIntCastsOfInRangeValues() {
    Graph g = agrees("""
        graph g () -> (%a: int32[4], %b: uint8[2]) {
          opset "" 17
          init %x: float32[4] = [1.5, -2.7, 2147483520.0, -2147483648.0]
          init %y: float32[2] = [255.9, 0.3]
          %a = Cast(%x) {to=6} @cast_i32
          %b = Cast(%y) {to=2} @cast_u8
        }
        """, Map.of());
    assertEquals(0, count(g, "Cast"), "in-range casts fold: " + GraphPrinter.print(g));
  }

  @Test
  void foldsFloatToStringOnlyWhereTheTextMatchesOrt() {
    agrees("""
        graph g () -> (%a: string[10]) {
          opset "" 17
          init %x: float32[10] = [0.1, 1.0, 1e20, nan, -0.0, 3.14159, inf, -inf, 100000000.0, 1e-7]
          %a = Cast(%x) {to=8} @cast_str
        }
        """, Map.of());
    Graph ints = agrees("""
        graph g () -> (%a: string[3]) {
          opset "" 17
          init %x: int32[3] = [0, -12, 2147483647]
          %a = Cast(%x) {to=8} @cast_str
        }
        """, Map.of());
    assertEquals(0, count(ints, "Cast"), "integer to string folds: " + ints);
  }

  // ---- float16 ----

  @Test
  void float16ChainsAgreeWithOrt() {
    agrees("""
        graph g () -> (%y: float16[3]) {
          opset "" 17
          init %a: float16[3] = [0.1, 1000.0, 3.0]
          init %b: float16[3] = [0.2, 0.3, 0.1]
          init %c: float16[3] = [0.3, 3.0, 7.0]
          %s: float16[3] = Add(%a, %b) @add
          %m: float16[3] = Mul(%s, %c) @mul
          %y = Sub(%m, %a) @sub
        }
        """, Map.of());
  }

  @Test
  void foldsFloat16CastsAndDataMovementExactly() {
    Graph g = agrees("""
        graph g () -> (%y: float16[2,3], %z: float32[6]) {
          opset "" 17
          init %x: float32[6] = [1.00048828125, 1.00146484375, 65520.0, 1e-8, -0.0, 3.0e-5]
          init %shape: int64[2] = [2, 3]
          %h: float16[6] = Cast(%x) {to=10} @to_half
          %y = Reshape(%h, %shape) @reshape
          %z = Cast(%h) {to=1} @to_float
        }
        """, Map.of());
    assertEquals(0, count(g, "Cast") + count(g, "Reshape"), GraphPrinter.print(g));
  }

  // ---- reductions ----

  @Test
  void leavesOverflowingInt32ReductionsUnfolded() {
    Graph g = agrees("""
        graph g () -> (%s: int32[1], %p: int32[1], %q: int32[1]) {
          opset "" 17
          init %x: int32[3] = [2000000000, 2000000000, 5]
          init %ax: int64[1] = [0]
          %s = ReduceSum(%x, %ax) @sum
          %p = ReduceProd(%x) {axes=[0]} @prod
          %q = ReduceSumSquare(%x) {axes=[0]} @sumsq
        }
        """, Map.of());
    assertEquals(1, count(g, "ReduceSum"), GraphPrinter.print(g));
    assertEquals(1, count(g, "ReduceProd"), GraphPrinter.print(g));
    assertEquals(1, count(g, "ReduceSumSquare"), GraphPrinter.print(g));
  }

  @Test
  void foldsInt32ReductionsThatFit() {
    Graph g = agrees("""
        graph g () -> (%s: int32[1]) {
          opset "" 17
          init %x: int32[3] = [1000000000, 1000000000, -5]
          init %ax: int64[1] = [0]
          %s = ReduceSum(%x, %ax) @sum
        }
        """, Map.of());
    assertEquals(0, count(g, "ReduceSum"), GraphPrinter.print(g));
  }

  @Test
  void reductionsOverAnEmptyAxisAgreeWithOrt() {
    agrees("""
        graph g () -> (%a: float32[2], %b: float32[2], %c: float32[2], %d: float32[2],
            %e: float32[2], %f: float32[2], %h: float32[2], %i: float32[2]) {
          opset "" 18
          init %x: float32[2,0] = []
          init %ax: int64[1] = [1]
          %a = ReduceSum(%x, %ax) {keepdims=0} @sum
          %b = ReduceProd(%x, %ax) {keepdims=0} @prod
          %c = ReduceMax(%x, %ax) {keepdims=0} @max
          %d = ReduceMin(%x, %ax) {keepdims=0} @min
          %e = ReduceMean(%x, %ax) {keepdims=0} @mean
          %f = ReduceLogSumExp(%x, %ax) {keepdims=0} @lse
          %h = ReduceL2(%x, %ax) {keepdims=0} @l2
          %i = ReduceLogSum(%x, %ax) {keepdims=0} @logsum
        }
        """, Map.of());
  }

  // ---- NaN and signed zeros ----

  @Test
  void minMaxAndTopKWithNanAgreeWithOrt() {
    agrees("""
        graph g () -> (%mn: float32[4], %mx: float32[4], %v: float32[2], %i: int64[2],
            %rm: float32[1], %am: int64[1]) {
          opset "" 17
          init %a: float32[4] = [1.0, nan, 3.0, nan]
          init %b: float32[4] = [nan, 2.0, 1.0, nan]
          init %k: int64[1] = [2]
          %mn = Min(%a, %b) @min
          %mx = Max(%a, %b) @max
          %v, %i = TopK(%a, %k) @topk
          %rm = ReduceMax(%a) {axes=[0]} @rmax
          %am = ArgMax(%a) {axis=0} @argmax
        }
        """, Map.of());
  }

  @Test
  void reluOfNegativeZeroAgreesWithOrt() {
    agrees("""
        graph g () -> (%y: float32[3]) {
          opset "" 17
          init %x: float32[3] = [-0.0, 0.0, -1.0]
          %y = Relu(%x) @relu
        }
        """, Map.of());
  }

  @Test
  void normalizationsOfAllZeroInputAgreeWithOrt() {
    agrees("""
        graph g () -> (%l1: float32[2,3], %l2: float32[2,3], %mv: float32[1,2,2,2]) {
          opset "" 17
          init %x: float32[2,3] = [0.0, 0.0, 0.0, 1.0, 2.0, 2.0]
          init %z: float32[1,2,2,2] = [0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 4.0]
          %l1 = LpNormalization(%x) {p=1} @lp1
          %l2 = LpNormalization(%x) {p=2} @lp2
          %mv = MeanVarianceNormalization(%z) @mvn
        }
        """, Map.of());
  }

  // ---- resampling sizes ----

  @Test
  void resizeAndUpsampleSizesFromFloatScalesAgreeWithOrt() {
    // 0.7f * 10 is 6.99999988 exactly but 7.0 in float arithmetic; 2.3f * 10 likewise 23.
    String consts = "init %x: float32[1,1,10,10] = ["
        + String.join(", ", java.util.Collections.nCopies(100, "1.5")) + "]";
    for (String text : List.of("""
        graph g (%x: float32[1,1,10,10]) -> (%y: float32[*]) {
          opset "" 13
          init %s: float32[4] = [1.0, 1.0, 0.7, 0.7]
          %y = Resize(%x, _, %s) @resize
        }
        """, """
        graph g (%x: float32[1,1,10,10]) -> (%y: float32[*]) {
          opset "" 9
          init %s: float32[4] = [1.0, 1.0, 2.3, 2.3]
          %y = Upsample(%x, %s) @upsample
        }
        """, """
        graph g () -> (%y: float32[*]) {
          opset "" 13
          %CONSTS
          init %s: float32[4] = [1.0, 1.0, 0.7, 0.7]
          %y = Resize(%x, _, %s) @resize
        }
        """.replace("%CONSTS", consts), """
        graph g () -> (%y: float32[*]) {
          opset "" 9
          %CONSTS
          init %s: float32[4] = [1.0, 1.0, 2.3, 2.3]
          %y = Upsample(%x, %s) @upsample
        }
        """.replace("%CONSTS", consts))) {
      Graph g = GraphParser.parse(text);
      Map<String, Tensor> in = g.inputs().isEmpty() ? Map.of()
          : Map.of("x", Tensor.ofFloats(new long[] {1, 1, 10, 10}, new float[100]));
      Graph opt = agrees(text, in);
      long[] ortDims = ORT.verifier().run(OnnxExporter.toBytes(g), in).get("y").dims();
      Shape inferred = opt.outputs().get(0).tensorType().shape();
      assertTrue(inferred.isStatic(), "static shape inferred for\n" + text);
      assertArrayEquals(ortDims, inferred.sizes(), "inferred shape of\n" + text);
    }
  }

  // ---- fusion of constant affine ops into Conv ----

  @Test
  void keepsBatchNormWithZeroVarianceAndZeroEpsilonOutOfTheConv() {
    Map<String, Tensor> in = Map.of("x", Tensor.ofFloats(new long[] {1, 2, 2, 2},
        0.5f, 1f, -1f, 0f, 2f, 0f, -3f, 0.25f));
    Graph g = agrees("""
        graph g (%x: float32[1,2,2,2]) -> (%y: float32[1,2,2,2]) {
          opset "" 13
          init %W: float32[2,2,1,1] = [1.0, 0.0, 0.0, 1.0]
          init %gamma: float32[2] = [1.0, 0.0]
          init %beta: float32[2] = [0.0, 0.5]
          init %mean: float32[2] = [0.5, 0.0]
          init %var: float32[2] = [0.0, 0.0]
          %c: float32[1,2,2,2] = Conv(%x, %W) @conv
          %y = BatchNormalization(%c, %gamma, %beta, %mean, %var) {epsilon=0.0} @bn
        }
        """, in);
    assertEquals(1, count(g, "BatchNormalization"), GraphPrinter.print(g));
    assertTrue(lastNotes.stream().anyMatch(n -> n.startsWith("fuse-conv-batchnorm: ")
        && n.contains("'bn'")), "the report says why: " + lastNotes);
  }

  // ---- identities ----

  @Test
  void addOfPositiveZeroKeepsTheSignOfZero() {
    Map<String, Tensor> in = Map.of("x", Tensor.ofFloats(new long[] {4}, -0.0f, 0.0f, 1.0f,
        Float.NaN));
    Graph g = agrees("""
        graph g (%x: float32[4]) -> (%a: float32[4], %b: float32[4], %c: float32[4],
            %d: float32[4]) {
          opset "" 17
          init %pz: float32[1] = [0.0]
          init %nz: float32[1] = [-0.0]
          %a0: float32[4] = Add(%x, %pz) @add_pos_zero
          %b0: float32[4] = Add(%nz, %x) @add_neg_zero
          %c0: float32[4] = Sub(%x, %pz) @sub_pos_zero
          %d0: float32[4] = Sub(%x, %nz) @sub_neg_zero
          %a = Neg(%a0) @na
          %b = Neg(%b0) @nb
          %c = Neg(%c0) @nc
          %d = Neg(%d0) @nd
        }
        """, in);
    assertEquals(2, count(g, "Add") + count(g, "Sub"), GraphPrinter.print(g));
    assertTrue(GraphPrinter.print(g).contains("@add_pos_zero") && GraphPrinter.print(g).contains("@sub_neg_zero"),
        "x + 0.0 and x - (-0.0) are not x: " + GraphPrinter.print(g));
  }

  @Test
  void keepsQdqRoundTripsWhoseMiddleQuantizeChangesTheType() {
    Map<String, Tensor> in = Map.of(
        "q", Tensor.ofBytes(DType.INT8, new long[] {6}, new byte[] {-128, -48, -1, 0, 1, 127}),
        "w", Tensor.ofInts(new long[] {3}, -1000, 7, 100000));
    Graph g = agrees("""
        graph g (%q: int8[6], %w: int32[3]) -> (%y: float32[6], %z: float32[3]) {
          opset "" 13
          init %s: float32[] = [0.5]
          %d: float32[6] = DequantizeLinear(%q, %s) @dq1
          %q2: uint8[6] = QuantizeLinear(%d, %s) @q_uint8
          %y = DequantizeLinear(%q2, %s) @dq2
          %e: float32[3] = DequantizeLinear(%w, %s) @dq_int32
          %w2: uint8[3] = QuantizeLinear(%e, %s) @q_from_int32
          %z = DequantizeLinear(%w2, %s) @dq3
        }
        """, in);
    assertEquals(2, count(g, "QuantizeLinear"), GraphPrinter.print(g));
  }

  @Test
  void removesQdqRoundTripsWhoseQuantizedTypesMatch() {
    Map<String, Tensor> in = Map.of(
        "q", Tensor.ofBytes(DType.INT8, new long[] {6}, new byte[] {-128, -48, -1, 0, 1, 127}));
    Graph g = agrees("""
        graph g (%q: int8[6]) -> (%y: float32[6], %z: float32[6]) {
          opset "" 21
          init %s: float32[] = [0.5]
          init %zp: int8[] = [3]
          %d: float32[6] = DequantizeLinear(%q, %s) @dq1
          %q2: int8[6] = QuantizeLinear(%d, %s) {output_dtype=3} @q_int8
          %y = DequantizeLinear(%q2, %s) @dq2
          %d2: float32[6] = DequantizeLinear(%q, %s, %zp) @dq3
          %q3: int8[6] = QuantizeLinear(%d2, %s, %zp) @q_zp
          %z = DequantizeLinear(%q3, %s, %zp) @dq4
        }
        """, in);
    assertEquals(0, count(g, "QuantizeLinear"), GraphPrinter.print(g));
  }

  // ---- helpers ----

  /** The notes of the last {@link #agrees} run's optimization. */
  private static List<String> lastNotes = List.of();

  /** Runs the model before and after O1 in ORT; asserts identical outputs; returns the result. */
  static Graph agrees(String text, Map<String, Tensor> inputs) {
    Graph g = GraphParser.parse(text);
    Map<String, Tensor> want = ORT.verifier().run(OnnxExporter.toBytes(g), inputs);
    OptimizeResult r = Optimizer.optimize(g, OptimizeOptions.atLevel(Level.O1));
    lastNotes = r.notes();
    Map<String, Tensor> got = ORT.verifier().run(OnnxExporter.toBytes(r.graph()), inputs);
    assertEquals(want.keySet(), got.keySet());
    for (String name : want.keySet()) {
      assertSameBits(name, want.get(name), got.get(name), r);
    }
    return r.graph();
  }

  static void assertSameBits(String name, Tensor want, Tensor got, OptimizeResult r) {
    String where = name + " after O1 (notes " + r.notes() + "):\n" + GraphPrinter.print(r.graph());
    assertEquals(want.dtype(), got.dtype(), where);
    assertArrayEquals(want.dims(), got.dims(), "shape of " + where);
    if (want.dtype() == DType.STRING) {
      String[] a = strings(want);
      String[] b = strings(got);
      assertArrayEquals(a, b, "ORT " + Arrays.toString(a) + " vs folded " + Arrays.toString(b)
          + " for " + where);
      return;
    }
    double[] a = want.toDoubleArray();
    double[] b = got.toDoubleArray();
    for (int i = 0; i < a.length; i++) {
      // doubleToLongBits folds every NaN into one and keeps the sign of zero.
      assertEquals(Double.doubleToLongBits(a[i]), Double.doubleToLongBits(b[i]),
          "element " + i + ": ORT computes " + Arrays.toString(a) + ", optimized gives "
              + Arrays.toString(b) + " for " + where);
    }
  }

  private static String[] strings(Tensor t) {
    return Arrays.stream(t.strings()).map(s -> new String(s, java.nio.charset.StandardCharsets.UTF_8))
        .toArray(String[]::new);
  }

  static int count(Graph g, String op) {
    return g.opHistogram().getOrDefault(op, 0);
  }
}
