package dev.convoy.ir.ops.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OneNode;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code convoy::ConcatMaxPool} equals MaxPool of the channel Concat of its inputs bit for bit
 * (signed zeros, infinities and windows holding NaN included), for two images, inputs of unequal
 * channel counts, strides, ceil_mode, pads and dilations; and it refuses inputs whose images or
 * planes differ.
 */
class ConcatMaxPoolTest {
  private static NdArray pool(OneNode op, Map<String, Attribute> attrs) {
    attrs.forEach(op::attr);
    return op.run();
  }

  private static Map<String, Attribute> attrs(String k, String s, String pads, long ceil,
      String dil) {
    return Map.of("kernel_shape", ints(k), "strides", ints(s), "pads", ints(pads),
        "ceil_mode", Attribute.of(ceil), "dilations", ints(dil));
  }

  private static Attribute ints(String s) {
    return new Attribute.IntsAttr(OneNode.sizes(s));
  }

  @ParameterizedTest(name = "{0} images, {1}/{2}/{3} channels {4}x{5}, k {6} s {7} pads {8} ceil {9} dil {10}")
  @CsvSource({
      "1, 64, 64, 0, 13, 13, 3x3, 2x2, 0x0x0x0, 1, 1x1",
      "2, 3, 5, 2, 11, 9, 3x3, 2x2, 0x0x0x0, 1, 1x1",
      "2, 4, 1, 3, 9, 9, 3x3, 1x1, 1x1x1x1, 0, 1x1",
      "1, 2, 6, 1, 12, 10, 2x3, 2x1, 0x1x1x0, 0, 2x2"})
  void equalsConcatThenMaxPool(int n, int c1, int c2, int c3, int h, int w, String k, String s,
      String pads, long ceil, String dil) {
    var attrs = attrs(k, s, pads, ceil, dil);
    NdArray a = MaxPoolFastPathTest.specials(n, c1, h, w, 1, true);
    NdArray b = MaxPoolFastPathTest.specials(n, c2, h, w, 2, true);
    OneNode fused = OneNode.of("convoy", "ConcatMaxPool", 1).in(a).in(b);
    OneNode cat = OneNode.of("Concat", 13).in(a).in(b).attr("axis", Attribute.of(1L));
    if (c3 > 0) {
      NdArray c = MaxPoolFastPathTest.specials(n, c3, h, w, 3, true);
      fused.in(c);
      cat.in(c);
    }
    NdArray want = pool(OneNode.of("MaxPool", 12).in(cat.run()), attrs);
    NdArray got = pool(fused, attrs);
    assertArrayEquals(want.dims(), got.dims());
    assertArrayEquals(want.floats(), got.floats());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"1x3x9x8", "2x3x9x9"})
  void refusesInputsThatDifferInMoreThanChannels(String other) {
    long[] d = OneNode.sizes(other);
    NdArray a = MaxPoolFastPathTest.specials(1, 2, 9, 9, 1, true);
    NdArray b = MaxPoolFastPathTest.specials((int) d[0], (int) d[1], (int) d[2], (int) d[3], 2,
        true);
    OneNode op = OneNode.of("convoy", "ConcatMaxPool", 1).in(a).in(b)
        .attr("kernel_shape", ints("3x3"));
    assertThrows(ConvoyException.class, op::run);
  }
}
