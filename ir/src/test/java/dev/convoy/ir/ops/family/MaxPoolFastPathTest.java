package dev.convoy.ir.ops.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OneNode;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * MaxPool's float32 2-D kernel (no indices output) gives what the general pooling path gives
 * (the one that also writes the indices) bit for bit, windows holding NaN or infinities
 * included, for strides, dilations, asymmetric pads, ceil_mode and windows wider than the input.
 * The inputs hold no zeros: the two paths may differ only in the sign of a zero maximum.
 */
class MaxPoolFastPathTest {
  /**
   * {@code [n, c, h, w]} of seeded Gaussians with NaNs and infinities mixed in, and signed zeros
   * too when {@code zeros} (also {@link ConcatMaxPoolTest}'s inputs).
   */
  static NdArray specials(int n, int c, int h, int w, long seed, boolean zeros) {
    Random r = new Random(seed);
    float[] v = new float[n * c * h * w];
    for (int i = 0; i < v.length; i++) {
      int pick = r.nextInt(30);
      float g = (float) r.nextGaussian();
      v[i] = pick == 0 ? Float.NaN : pick == 1 ? Float.NEGATIVE_INFINITY
          : pick == 2 ? Float.POSITIVE_INFINITY : zeros && pick == 3 ? -0f
          : zeros && pick == 4 ? 0f : g == 0 ? 1f : g;
    }
    return NdArray.ofFloats(new long[] {n, c, h, w}, v);
  }

  @ParameterizedTest(name = "{0}x{1} k {2} s {3} d {4} pads {5} ceil {6}")
  @CsvSource({
      "13, 13, 3x3, 2x2, 1x1, 0x0x0x0, 1",
      "111, 111, 3x3, 2x2, 1x1, 0x0x0x0, 1",
      "27, 27, 3x3, 1x1, 1x1, 1x1x1x1, 0",
      "12, 9, 3x3, 1x1, 1x1, 1x1x1x1, 0",
      "20, 17, 5x3, 2x3, 1x1, 2x1x1x2, 1",
      "16, 16, 3x3, 2x2, 2x2, 2x2x2x2, 0",
      "9, 11, 2x4, 3x1, 3x2, 0x3x1x0, 1",
      "4, 5, 7x7, 1x1, 1x1, 3x3x3x3, 0",
      "1, 40, 1x9, 1x4, 1x1, 0x4x0x4, 0",
      "6, 6, 2x2, 2x2, 1x1, 0x0x0x0, 0"})
  void equalsTheGeneralPath(int h, int w, String k, String s, String d, String pads,
      long ceil) {
    NdArray x = specials(2, 3, h, w, h * 131L + w, false);
    OneNode fast = OneNode.of("MaxPool", 12).in(x);
    OneNode general = OneNode.of("MaxPool", 12).in(x).outputs(2);
    for (OneNode op : new OneNode[] {fast, general}) {
      op.attr("kernel_shape", new Attribute.IntsAttr(OneNode.sizes(k)))
          .attr("strides", new Attribute.IntsAttr(OneNode.sizes(s)))
          .attr("dilations", new Attribute.IntsAttr(OneNode.sizes(d)))
          .attr("pads", new Attribute.IntsAttr(OneNode.sizes(pads)))
          .attr("ceil_mode", Attribute.of(ceil));
    }
    NdArray want = general.runAll().get(0);
    NdArray got = fast.run();
    assertArrayEquals(want.dims(), got.dims());
    assertArrayEquals(want.floats(), got.floats());
  }
}
