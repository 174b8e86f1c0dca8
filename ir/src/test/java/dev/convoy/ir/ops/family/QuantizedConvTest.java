package dev.convoy.ir.ops.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OneNode;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * ConvInteger against the textbook loop over output position, channel and tap of {@code (x -
 * xz) (w - wz[m])}: plain, grouped and depthwise (one or two outputs per channel), with
 * strides, dilations and padding, both signednesses and per-channel weight zero points.
 */
class QuantizedConvTest {

  @ParameterizedTest(name = "c={0} m={1} group={2} k={3} stride={4} dil={5} pad={6} ux={7} uw={8}")
  @CsvSource({
      "3, 8, 1, 3, 1, 1, 1, true, false",
      "4, 6, 2, 3, 2, 1, 0, false, true",
      "8, 8, 8, 3, 1, 1, 1, true, false",
      "5, 10, 5, 3, 2, 1, 1, true, true",
      "6, 12, 6, 5, 1, 2, 2, false, false",
      "2, 40, 1, 1, 1, 1, 0, true, false",
      "16, 33, 1, 3, 1, 1, 1, true, false",
  })
  void convIntegerEqualsTheTextbookLoop(int c, int m, int group, int k, int stride, int dil,
      int pad, boolean ux, boolean uw) {
    Random r = new Random(c * 1000L + m * 100L + group * 10L + k + stride + dil + pad);
    int n = 2;
    int h = 9;
    int wd = 11;
    int cg = c / group;
    byte[] x = new byte[n * c * h * wd];
    byte[] w = new byte[m * cg * k * k];
    r.nextBytes(x);
    r.nextBytes(w);
    byte[] xz = {(byte) r.nextInt(256)};
    byte[] wz = new byte[m];
    r.nextBytes(wz);
    int oh = (h + 2 * pad - dil * (k - 1) - 1) / stride + 1;
    int ow = (wd + 2 * pad - dil * (k - 1) - 1) / stride + 1;
    int xzv = ux ? xz[0] & 0xFF : xz[0];
    int[] want = new int[n * m * oh * ow];
    int mg = m / group;
    for (int b = 0; b < n; b++) {
      for (int mi = 0; mi < m; mi++) {
        int g = mi / mg;
        int wzv = uw ? wz[mi] & 0xFF : wz[mi];
        for (int y = 0; y < oh; y++) {
          for (int z = 0; z < ow; z++) {
            int s = 0;
            for (int ci = 0; ci < cg; ci++) {
              for (int ky = 0; ky < k; ky++) {
                for (int kx = 0; kx < k; kx++) {
                  int iy = y * stride - pad + ky * dil;
                  int ix = z * stride - pad + kx * dil;
                  if (iy < 0 || iy >= h || ix < 0 || ix >= wd) {
                    continue;
                  }
                  byte xb = x[((b * c + g * cg + ci) * h + iy) * wd + ix];
                  byte wb = w[((mi * cg + ci) * k + ky) * k + kx];
                  s += ((ux ? xb & 0xFF : xb) - xzv) * ((uw ? wb & 0xFF : wb) - wzv);
                }
              }
            }
            want[((b * m + mi) * oh + y) * ow + z] = s;
          }
        }
      }
    }
    DType xt = ux ? DType.UINT8 : DType.INT8;
    DType wt = uw ? DType.UINT8 : DType.INT8;
    NdArray got = OneNode.of("ConvInteger", 10)
        .in(NdArray.wrap(xt, new long[] {n, c, h, wd}, x))
        .in(NdArray.wrap(wt, new long[] {m, cg, k, k}, w))
        .in(NdArray.wrap(xt, new long[0], xz))
        .in(NdArray.wrap(wt, new long[] {m}, wz))
        .attr("group", new Attribute.IntAttr(group))
        .attr("strides", new Attribute.IntsAttr(new long[] {stride, stride}))
        .attr("dilations", new Attribute.IntsAttr(new long[] {dil, dil}))
        .attr("pads", new Attribute.IntsAttr(new long[] {pad, pad, pad, pad}))
        .run();
    assertArrayEquals(new long[] {n, m, oh, ow}, got.dims());
    assertArrayEquals(want, got.ints());
  }
}
