package dev.convoy.ir.ops.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OneNode;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code convoy::ChainedMaxPool} equals the standard MaxPool of its second input with the whole
 * window, bit for bit (signed zeros, infinities and windows holding NaN, runs of NaN included),
 * for square and oblong windows, one step or two (SPP's 5 -> 9 -> 13).
 */
class ChainedMaxPoolTest {
  private static NdArray input(int c, int h, int w, long seed) {
    Random r = new Random(seed);
    float[] v = new float[c * h * w];
    for (int i = 0; i < v.length; i++) {
      int pick = r.nextInt(40);
      v[i] = pick == 0 ? Float.NaN : pick == 1 ? -0f : pick == 2 ? 0f
          : pick == 3 ? Float.NEGATIVE_INFINITY : (float) r.nextGaussian();
    }
    // A run of NaNs along a row and down a column: windows whose first taps are all NaN.
    for (int k = 0; k < 5; k++) {
      v[(h / 2) * w + Math.min(k, w - 1)] = Float.NaN;
      v[Math.min(k, h - 1) * w + w - 1] = Float.NaN;
    }
    return NdArray.ofFloats(new long[] {1, c, h, w}, v);
  }

  private static NdArray maxPool(NdArray x, long kh, long kw) {
    return OneNode.of("MaxPool", 12).in(x).attr("kernel_shape", Attribute.of(kh, kw))
        .attr("pads", Attribute.of((kh - 1) / 2, (kw - 1) / 2, (kh - 1) / 2, (kw - 1) / 2)).run();
  }

  private static NdArray chained(NdArray inner, NdArray x, long[] k, long[] innerK) {
    return OneNode.of("convoy", "ChainedMaxPool", 1).in(inner).in(x)
        .attr("kernel_shape", new Attribute.IntsAttr(k))
        .attr("inner_kernel_shape", new Attribute.IntsAttr(innerK)).run();
  }

  @ParameterizedTest(name = "{0}x{1}x{2}: {3}x{4} then {5}x{6}")
  @CsvSource({
      "3, 13, 13, 5, 5, 9, 9",
      "2, 20, 17, 3, 5, 7, 5",
      "2, 6, 9, 5, 5, 13, 13",
      "4, 1, 40, 1, 3, 1, 9"})
  void equalsTheMaxPoolWithTheWholeWindow(int c, int h, int w, long ih, long iw, long kh,
      long kw) {
    NdArray x = input(c, h, w, h * 31L + w);
    NdArray inner = maxPool(x, ih, iw);
    NdArray got = chained(inner, x, new long[] {kh, kw}, new long[] {ih, iw});
    assertArrayEquals(maxPool(x, kh, kw).floats(), got.floats());
  }

  @ParameterizedTest(name = "SPP on {0}x{0}")
  @CsvSource({"13", "26", "4"})
  void chainsTwiceAsSppf(int size) {
    NdArray x = input(5, size, size, size);
    NdArray m5 = maxPool(x, 5, 5);
    NdArray m9 = chained(m5, x, new long[] {9, 9}, new long[] {5, 5});
    NdArray m13 = chained(m9, x, new long[] {13, 13}, new long[] {9, 9});
    assertArrayEquals(maxPool(x, 9, 9).floats(), m9.floats());
    assertArrayEquals(maxPool(x, 13, 13).floats(), m13.floats());
  }

  @ParameterizedTest(name = "{0} and {1}")
  @CsvSource({"9x9, 5x4", "8x8, 5x5", "5x5, 9x9"})
  void rejectsWindowsThatAreEvenOrInverted(String k, String inner) {
    NdArray x = input(1, 9, 9, 1);
    assertThrows(ConvoyException.class, () -> chained(x, x, dims(k), dims(inner)));
  }

  private static long[] dims(String s) {
    String[] p = s.split("x");
    return new long[] {Long.parseLong(p[0]), Long.parseLong(p[1])};
  }
}
