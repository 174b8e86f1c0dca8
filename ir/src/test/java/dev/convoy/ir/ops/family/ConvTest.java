package dev.convoy.ir.ops.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OneNode;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConvTest {
  private static float[] random(int n, long seed) {
    Random r = new Random(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return v;
  }

  /** Direct 2-D convolution, the definition, for checking the im2col path. */
  private static float[] direct(float[] x, int n, int c, int h, int w, float[] k, int m, int kh,
      int kw, int group, int stride, int pad, int dil, int oh, int ow) {
    int cg = c / group;
    int mg = m / group;
    float[] y = new float[n * m * oh * ow];
    for (int img = 0; img < n; img++) {
      for (int oc = 0; oc < m; oc++) {
        int g = oc / mg;
        for (int i = 0; i < oh; i++) {
          for (int j = 0; j < ow; j++) {
            double s = 0;
            for (int ic = 0; ic < cg; ic++) {
              for (int a = 0; a < kh; a++) {
                for (int b = 0; b < kw; b++) {
                  int yy = i * stride - pad + a * dil;
                  int xx = j * stride - pad + b * dil;
                  if (yy < 0 || yy >= h || xx < 0 || xx >= w) {
                    continue;
                  }
                  s += x[((img * c + g * cg + ic) * h + yy) * w + xx]
                      * k[((oc * cg + ic) * kh + a) * kw + b];
                }
              }
            }
            y[((img * m + oc) * oh + i) * ow + j] = (float) s;
          }
        }
      }
    }
    return y;
  }

  @Test
  void groupedDilatedStridedPaddedConvMatchesDefinition() {
    int n = 2;
    int c = 4;
    int h = 9;
    int w = 7;
    int m = 6;
    int group = 2;
    float[] x = random(n * c * h * w, 1);
    float[] k = random(m * (c / group) * 3 * 3, 2);
    NdArray y = OneNode.of("Conv").in(NdArray.ofFloats(new long[] {n, c, h, w}, x))
        .in(NdArray.ofFloats(new long[] {m, c / group, 3, 3}, k))
        .attr("group", Attribute.of((long) group)).attr("strides", Attribute.of(2L, 2L))
        .attr("pads", Attribute.of(1L, 1L, 1L, 1L)).attr("dilations", Attribute.of(2L, 2L))
        .run();
    int oh = (h + 2 - 5) / 2 + 1;
    int ow = (w + 2 - 5) / 2 + 1;
    assertArrayEquals(new long[] {n, m, oh, ow}, y.dims());
    assertArrayEquals(direct(x, n, c, h, w, k, m, 3, 3, group, 2, 1, 2, oh, ow), y.floats(),
        1e-4f);
  }

  @Test
  void depthwiseConvRunsGroupsInParallelWithSameResult() {
    int n = 1;
    int c = 32;
    float[] x = random(n * c * 10 * 10, 3);
    float[] k = random(c * 9, 4);
    NdArray y = OneNode.of("Conv").in(NdArray.ofFloats(new long[] {n, c, 10, 10}, x))
        .in(NdArray.ofFloats(new long[] {c, 1, 3, 3}, k))
        .attr("group", Attribute.of((long) c)).attr("auto_pad", Attribute.of("SAME_UPPER"))
        .run();
    assertArrayEquals(direct(x, n, c, 10, 10, k, c, 3, 3, c, 1, 1, 1, 10, 10), y.floats(), 1e-4f);
  }

  /** Direct 1-D convolution with a bias, the definition, in double. */
  private static float[] direct1d(float[] x, int c, int len, float[] k, float[] bias, int m,
      int kw, int group, int stride, int padBegin, int dil, int out) {
    int cg = c / group;
    int mg = m / group;
    float[] y = new float[m * out];
    for (int oc = 0; oc < m; oc++) {
      int g = oc / mg;
      for (int j = 0; j < out; j++) {
        double s = bias[oc];
        for (int ic = 0; ic < cg; ic++) {
          for (int b = 0; b < kw; b++) {
            int xx = j * stride - padBegin + b * dil;
            if (xx >= 0 && xx < len) {
              s += (double) x[(g * cg + ic) * len + xx] * k[(oc * cg + ic) * kw + b];
            }
          }
        }
        y[oc * out + j] = (float) s;
      }
    }
    return y;
  }

  /**
   * 1-D convolutions (which run as 2-D ones of a single row) in the shapes of silero's and other
   * audio models: depthwise with padding, a long strided single-channel filter bank, grouped and
   * dilated with uneven padding, and a strided pointwise one; with a bias, and FusedConv's Relu.
   */
  @ParameterizedTest
  @CsvSource({
      // c, len, m, kw, group, stride, padBegin, padEnd, dil
      "258, 12, 258, 5, 258, 1, 2, 2, 1",
      "1, 200, 40, 32, 1, 8, 0, 0, 1",
      "6, 23, 8, 3, 2, 2, 1, 2, 2",
      "16, 9, 12, 1, 1, 2, 0, 0, 1",
      "32, 1, 32, 5, 32, 1, 2, 2, 1"})
  void oneDimensionalConvMatchesDefinition(int c, int len, int m, int kw, int group, int stride,
      int padBegin, int padEnd, int dil) {
    float[] x = random(c * len, 5);
    float[] k = random(m * (c / group) * kw, 6);
    float[] bias = random(m, 7);
    int out = (len + padBegin + padEnd - (kw - 1) * dil - 1) / stride + 1;
    float[] want = direct1d(x, c, len, k, bias, m, kw, group, stride, padBegin, dil, out);
    for (boolean fused : new boolean[] {false, true}) {
      NdArray y = (fused ? OneNode.of("convoy", "FusedConv", 1)
          .attr("activation", Attribute.of("Relu")) : OneNode.of("Conv"))
          .in(NdArray.ofFloats(new long[] {1, c, len}, x))
          .in(NdArray.ofFloats(new long[] {m, c / group, kw}, k))
          .in(NdArray.ofFloats(new long[] {m}, bias))
          .attr("group", Attribute.of((long) group)).attr("strides", Attribute.of(new long[] {stride}))
          .attr("pads", Attribute.of((long) padBegin, (long) padEnd))
          .attr("dilations", Attribute.of(new long[] {dil})).run();
      assertArrayEquals(new long[] {1, m, out}, y.dims());
      float[] expect = want.clone();
      if (fused) {
        for (int i = 0; i < expect.length; i++) {
          expect[i] = Math.max(expect[i], 0f);
        }
      }
      assertArrayEquals(expect, y.floats(), 1e-4f, fused ? "FusedConv(Relu)" : "Conv");
    }
  }

  @Test
  void convTransposeInvertsStridedConvGeometry() {
    // 1-D: x=[1,2], w=[1,1,1], stride 2 -> [1,1,3,2,2] with overlap at index 2.
    NdArray y = OneNode.of("ConvTranspose").in(NdArray.ofFloats(new long[] {1, 1, 2}, 1, 2))
        .in(NdArray.ofFloats(new long[] {1, 1, 3}, 1, 1, 1))
        .attr("strides", new Attribute.IntsAttr(new long[] {2})).run();
    assertArrayEquals(new long[] {1, 1, 5}, y.dims());
    assertArrayEquals(new float[] {1, 1, 3, 2, 2}, y.floats());
  }
}
