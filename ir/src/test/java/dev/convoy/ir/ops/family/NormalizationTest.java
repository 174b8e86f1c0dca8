package dev.convoy.ir.ops.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OneNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NormalizationTest {
  /**
   * LRN against its definition with {@link Math#pow} in double: within float rounding for
   * float32 (where beta 0.75 takes square roots instead of pow) and for float64, odd and even
   * window sizes, beta 0.75 and another, over planes of several positions.
   */
  @ParameterizedTest
  @CsvSource({"5, 0.75, 1.0, FLOAT", "4, 0.75, 2.0, FLOAT", "3, 0.6, 1.5, FLOAT",
      "5, 0.75, 2.0, DOUBLE"})
  void lrnMatchesItsDefinition(int size, float beta, float bias, DType type) {
    int n = 2;
    int c = 7;
    int inner = 15;
    float alpha = 0.001f;
    java.util.Random rnd = new java.util.Random(size * 31L + (long) (beta * 100));
    double[] x = new double[n * c * inner];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (rnd.nextGaussian() * 20);
    }
    long[] dims = {n, c, 3, 5};
    NdArray y = OneNode.of("LRN").in(NdArray.fromDoubles(type, dims, x))
        .attr("size", Attribute.of((long) size)).attr("alpha", Attribute.of(alpha))
        .attr("beta", Attribute.of(beta)).attr("bias", Attribute.of(bias)).run();
    double[] got = y.toDoubles();
    for (int img = 0; img < n; img++) {
      for (int ch = 0; ch < c; ch++) {
        for (int i = 0; i < inner; i++) {
          double ss = 0;
          for (int cc = ch - (size - 1) / 2; cc <= ch + size / 2; cc++) {
            if (cc >= 0 && cc < c) {
              double v = x[(img * c + cc) * inner + i];
              ss += v * v;
            }
          }
          int p = (img * c + ch) * inner + i;
          double want = x[p] / Math.pow((double) bias + (double) alpha / size * ss, beta);
          assertEquals(want, got[p], Math.abs(want) * (type == DType.FLOAT ? 1e-7 : 1e-15),
              "element " + p);
        }
      }
    }
  }

  @Test
  void softmaxOpset13NormalizesAlongLastAxis() {
    NdArray y = OneNode.of("Softmax", 13).in(NdArray.ofFloats(new long[] {2, 2}, 0, 0, 1000, 0))
        .run();
    assertArrayEquals(new float[] {0.5f, 0.5f, 1, 0}, y.floats(), 1e-6f);
  }

  @Test
  void softmaxBeforeOpset13FlattensAtAxis() {
    NdArray x = NdArray.ofFloats(new long[] {1, 2, 2}, 0, 0, 0, 0);
    NdArray y = OneNode.of("Softmax", 11).in(x).run();
    assertArrayEquals(new float[] {0.25f, 0.25f, 0.25f, 0.25f}, y.floats(), 1e-6f);
  }

  @Test
  void batchNormInferenceUsesRunningStats() {
    NdArray x = NdArray.ofFloats(new long[] {1, 2, 1}, 3, 5);
    NdArray s = NdArray.ofFloats(new long[] {2}, 2, 1);
    NdArray b = NdArray.ofFloats(new long[] {2}, 1, 0);
    NdArray mean = NdArray.ofFloats(new long[] {2}, 1, 5);
    NdArray var = NdArray.ofFloats(new long[] {2}, 4, 1);
    NdArray y = OneNode.of("BatchNormalization", 15).in(x).in(s).in(b).in(mean).in(var)
        .attr("epsilon", Attribute.of(0f)).run();
    assertArrayEquals(new float[] {3, 0}, y.floats(), 1e-6f);
  }

  @Test
  void layerNormReturnsMeanAndInverseStdDev() {
    NdArray x = NdArray.ofFloats(new long[] {1, 4}, 1, 2, 3, 4);
    var out = OneNode.of("LayerNormalization", 17).in(x)
        .in(NdArray.ofFloats(new long[] {4}, 1, 1, 1, 1)).outputs(3)
        .attr("epsilon", Attribute.of(0f)).runAll();
    assertEquals(2.5f, out.get(1).floats()[0], 1e-6f);
    assertEquals(1 / Math.sqrt(1.25), out.get(2).floats()[0], 1e-6);
    assertEquals(-1.5 / Math.sqrt(1.25), out.get(0).floats()[0], 1e-6);
  }
}
