package dev.convoy.ir.ops.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.ir.eval.ShapeInference;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType.TensorType;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OneNode;
import dev.convoy.ir.ops.runtime.Blas;
import dev.convoy.ir.ops.runtime.Parallel;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MatMulGemmTest {
  private static float[] random(int n, long seed) {
    Random r = new Random(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return v;
  }

  private static float[] naive(float[] a, float[] b, int m, int k, int n) {
    float[] c = new float[m * n];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int kk = 0; kk < k; kk++) {
          s += a[i * k + kk] * b[kk * n + j];
        }
        c[i * n + j] = (float) s;
      }
    }
    return c;
  }

  @Test
  void largeMatMulMatchesNaiveProductAcrossTiles() {
    int m = 70;
    int k = 300;
    int n = 530;
    float[] a = random(m * k, 1);
    float[] b = random(k * n, 2);
    NdArray y = OneNode.of("MatMul").in(NdArray.ofFloats(new long[] {m, k}, a))
        .in(NdArray.ofFloats(new long[] {k, n}, b)).run();
    assertArrayEquals(naive(a, b, m, k, n), y.floats(), 1e-3f);
  }

  @Test
  void matMulBroadcastsBatchAndPromotesVectors() {
    float[] a = random(2 * 3 * 4, 3);
    float[] b = random(4 * 5, 4);
    NdArray y = OneNode.of("MatMul").in(NdArray.ofFloats(new long[] {2, 3, 4}, a))
        .in(NdArray.ofFloats(new long[] {4, 5}, b)).run();
    assertArrayEquals(new long[] {2, 3, 5}, y.dims());
    float[] second = naive(java.util.Arrays.copyOfRange(a, 12, 24), b, 3, 4, 5);
    assertArrayEquals(second, java.util.Arrays.copyOfRange(y.floats(), 15, 30), 1e-5f);
    NdArray v = OneNode.of("MatMul").in(NdArray.ofFloats(new long[] {4}, 1, 1, 1, 1))
        .in(NdArray.ofFloats(new long[] {4, 5}, b)).run();
    assertArrayEquals(new long[] {5}, v.dims());
  }

  @Test
  void integerMatMulIsExact() {
    NdArray y = OneNode.of("MatMul").in(NdArray.ofInts(new long[] {1, 2}, 3, 4))
        .in(NdArray.ofInts(new long[] {2, 1}, 5, 6)).run();
    assertArrayEquals(new int[] {39}, y.ints());
  }

  @Test
  void gemmAppliesTransposesAlphaBetaAndBroadcastC() {
    NdArray a = NdArray.ofFloats(new long[] {2, 1}, 1, 2);
    NdArray b = NdArray.ofFloats(new long[] {3, 2}, 1, 0, 0, 1, 1, 1);
    NdArray c = NdArray.ofFloats(new long[] {3}, 10, 20, 30);
    NdArray y = OneNode.of("Gemm").in(a).in(b).in(c).attr("transA", Attribute.of(1L))
        .attr("transB", Attribute.of(1L)).attr("alpha", Attribute.of(2f))
        .attr("beta", Attribute.of(0.5f)).run();
    assertArrayEquals(new long[] {1, 3}, y.dims());
    assertArrayEquals(new float[] {2 + 5, 4 + 10, 6 + 15}, y.floats(), 1e-6f);
  }

  @Test
  void matMulShapeKeepsSymbolicDims() {
    Graph g = new Graph();
    g.opsets().put("", 17L);
    Value x = g.addInput("x",
        new TensorType(DType.FLOAT, Shape.of(Dim.of("N"), Dim.of("seq"), Dim.of(64))));
    Value w = g.addInput("w", TensorType.of(DType.FLOAT, 64, 64));
    Node mm = g.addNode("", "MatMul", List.of(x, w), List.of("y"), Map.of());
    ShapeInference.infer(g);
    assertEquals(Shape.of(Dim.of("N"), Dim.of("seq"), Dim.of(64)),
        mm.output(0).tensorType().shape());
  }

  @Test
  void parallelAndSerialProductsAreBitIdentical() {
    int m = 64;
    int k = 512;
    int n = 700;
    float[] a = random(m * k, 5);
    float[] b = random(k * n, 6);
    float[] c1 = new float[m * n];
    float[] c2 = new float[m * n];
    Blas.sgemm(m, n, k, a, 0, b, 0, c1, 0, Parallel.serial());
    Blas.sgemm(m, n, k, a, 0, b, 0, c2, 0, Parallel.of(4));
    assertArrayEquals(c1, c2);
  }

  /** Each batch of {@code a} ({@code [batch, m, k]}) times {@code b} by its own sgemm. */
  private static float[] perBatch(float[] a, float[] b, int batch, int m, int k, int n) {
    float[] c = new float[batch * m * n];
    for (int i = 0; i < batch; i++) {
      Blas.sgemm(m, n, k, a, i * m * k, b, 0, c, i * m * n, Parallel.serial());
    }
    return c;
  }

  @Test
  void batchedMatMulWithOneRightMatrixEqualsPerBatchProductsBitForBit() {
    // tiny_vit's shape ([65, 1, 128] x [128, 384], here smaller) and a two-level batch whose
    // right operand carries size-1 batch dims.
    float[] a = random(13 * 1 * 40, 7);
    float[] b = random(40 * 37, 8);
    NdArray y = OneNode.of("MatMul").in(NdArray.ofFloats(new long[] {13, 1, 40}, a))
        .in(NdArray.ofFloats(new long[] {40, 37}, b)).run();
    assertArrayEquals(new long[] {13, 1, 37}, y.dims());
    assertArrayEquals(perBatch(a, b, 13, 1, 40, 37), y.floats());
    float[] a2 = random(2 * 3 * 5 * 40, 9);
    NdArray y2 = OneNode.of("MatMul").in(NdArray.ofFloats(new long[] {2, 3, 5, 40}, a2))
        .in(NdArray.ofFloats(new long[] {1, 40, 37}, b)).run();
    assertArrayEquals(new long[] {2, 3, 5, 37}, y2.dims());
    assertArrayEquals(perBatch(a2, b, 6, 5, 40, 37), y2.floats());
  }

  @Test
  void batchedMatMulWithBroadcastLeftOperandKeepsPerBatchProducts() {
    // A carries no batch, B does: each output batch reads A again, which one product cannot do.
    float[] a = random(3 * 20, 10);
    float[] b = random(4 * 20 * 9, 11);
    NdArray y = OneNode.of("MatMul").in(NdArray.ofFloats(new long[] {3, 20}, a))
        .in(NdArray.ofFloats(new long[] {4, 20, 9}, b)).run();
    assertArrayEquals(new long[] {4, 3, 9}, y.dims());
    for (int i = 0; i < 4; i++) {
      float[] bi = java.util.Arrays.copyOfRange(b, i * 180, (i + 1) * 180);
      assertArrayEquals(naive(a, bi, 3, 20, 9),
          java.util.Arrays.copyOfRange(y.floats(), i * 27, (i + 1) * 27), 1e-4f);
    }
  }

  @Test
  void gemmWithATransposedWeightIsTheSameOnEveryRunAndMatchesTheProduct() {
    // More rows than the dot-product path takes, B a weight (transposed once, then kept).
    int m = 21;
    int k = 33;
    int n = 17;
    float[] a = random(k * m, 12);
    float[] w = random(n * k, 13);
    float[] bias = random(n, 14);
    Graph g = new Graph();
    g.opsets().put("", 17L);
    Value x = g.addInput("a", TensorType.of(DType.FLOAT, k, m));
    Value wv = g.addInitializer("w", NdArray.ofFloats(new long[] {n, k}, w).toTensor());
    Value bv = g.addInitializer("bias", NdArray.ofFloats(new long[] {n}, bias).toTensor());
    Node gemm = g.addNode("", "Gemm", List.of(x, wv, bv), List.of("y"),
        Map.of("transA", Attribute.of(1L), "transB", Attribute.of(1L),
            "alpha", Attribute.of(0.5f)));
    g.addOutput(gemm.output(0));
    float[] at = Blas.transpose(a, 0, k, m);
    float[] wt = Blas.transpose(w, 0, n, k);
    float[] want = new float[m * n];
    Blas.sgemm(m, n, k, at, 0, wt, 0, want, 0, Parallel.serial());
    for (int i = 0; i < want.length; i++) {
      want[i] = 0.5f * want[i] + bias[i % n];
    }
    var ev = dev.convoy.ir.eval.Evaluator.standard();
    for (int run = 0; run < 3; run++) {
      NdArray y = (NdArray) ev.run(g, Map.of("a", NdArray.ofFloats(new long[] {k, m}, a)))
          .get("y");
      assertArrayEquals(want, y.floats(), "run " + run);
    }
  }
}
