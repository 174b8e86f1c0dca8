package dev.convoy.ir.ops.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OneNode;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * FusedConv applies its bias and activation on each block of the convolution as the product
 * finishes it; the result must be exactly Conv followed by the activation over the whole output
 * (the standalone op, or for HardSwish, whose fused form computes in float where the op computes
 * in double, the fused activation's own formula), on every path Conv chooses (im2col product,
 * pointwise product, transposed product, unit-stride depthwise stencil, strided depthwise, 1-D),
 * and the depthwise stencil must add its taps in kernel order as the definition does. A {@code
 * post_scale} and {@code post_shift} (FusedConv's and NhwcConv's) must equal the Mul and then the
 * Add ops on the activated output, and a residual Z the Add before the activation, bit for bit.
 */
class FusedConvTest {
  private static float[] random(int n, long seed) {
    Random r = new Random(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return v;
  }

  private static long[] ints(String spec) {
    String[] p = spec.split("x");
    long[] v = new long[p.length];
    for (int i = 0; i < p.length; i++) {
      v[i] = Long.parseLong(p[i]);
    }
    return v;
  }

  private static OneNode conv(OneNode node, NdArray x, NdArray w, NdArray b, long group,
      long stride, long pad) {
    int r = x.rank() - 2;
    long[] strides = new long[r];
    long[] pads = new long[2 * r];
    java.util.Arrays.fill(strides, stride);
    java.util.Arrays.fill(pads, pad);
    return node.in(x).in(w).in(b).attr("group", Attribute.of(group))
        .attr("strides", new Attribute.IntsAttr(strides))
        .attr("pads", new Attribute.IntsAttr(pads));
  }

  /** The standalone op for {@code act} applied to {@code y}. */
  private static NdArray standalone(String act, NdArray y) {
    return switch (act) {
      case "HardSwish" -> new Activation(act, 0, 0).apply(y);
      case "LeakyRelu" -> OneNode.of("LeakyRelu").in(y).attr("alpha", Attribute.of(0.2f)).run();
      case "Clip" -> OneNode.of("Clip").in(y).in(NdArray.ofFloats(new long[0], 0f))
          .in(NdArray.ofFloats(new long[0], 6f)).run();
      default -> OneNode.of(act).in(y).run();
    };
  }

  private static float[] params(String act) {
    return switch (act) {
      case "LeakyRelu" -> new float[] {0.2f};
      case "Clip" -> new float[] {0f, 6f};
      default -> new float[0];
    };
  }

  @ParameterizedTest(name = "{0} x {1} group {2} stride {3} pad {4} {5}")
  @CsvSource({
      "1x8x13x11, 16x8x3x3, 1, 1, 1, LeakyRelu",
      "1x8x13x11, 16x8x3x3, 1, 1, 1, HardSwish",
      "2x16x9x40, 24x16x1x1, 1, 1, 0, Clip",
      "1x24x37x45, 24x1x3x3, 24, 1, 1, Relu",
      "1x24x37x45, 24x1x5x5, 24, 1, 2, HardSwish",
      "1x12x21x21, 12x1x3x3, 12, 2, 1, Sigmoid",
      "1x6x50, 10x6x3, 1, 1, 1, Tanh",
      "1x8x6x5, 160x8x3x3, 1, 1, 1, LeakyRelu",
      "1x4x1x1, 4x1x5x5, 4, 1, 2, Relu",
      "1x4x2x3, 4x1x5x5, 4, 2, 2, Relu",
      "1x16x7x7, 16x1x3x3, 16, 1, 1, Clip",
      "2x8x50x50, 8x4x3x3, 2, 1, 1, Clip",
      "1x8x50x50, 6x8x1x1, 1, 1, 0, Relu"})
  void fusedConvEqualsConvThenTheActivationOpBitForBit(String xs, String ws, long group,
      long stride, long pad, String act) {
    long[] xd = ints(xs);
    long[] wd = ints(ws);
    NdArray x = NdArray.ofFloats(xd, random((int) product(xd), 1));
    NdArray w = NdArray.ofFloats(wd, random((int) product(wd), 2));
    NdArray b = NdArray.ofFloats(new long[] {wd[0]}, random((int) wd[0], 3));
    NdArray want = standalone(act, conv(OneNode.of("Conv"), x, w, b, group, stride, pad).run());
    NdArray got = conv(OneNode.of("convoy", "FusedConv", 1), x, w, b, group, stride, pad)
        .attr("activation", Attribute.of(act))
        .attr("activation_params", new Attribute.FloatsAttr(params(act))).run();
    assertArrayEquals(want.dims(), got.dims());
    assertArrayEquals(want.floats(), got.floats());
  }

  /** {@code Add(Mul(y, scale), shift)} by the standalone ops, each step only where given. */
  private static NdArray mulThenAdd(NdArray y, Float scale, Float shift) {
    NdArray r = y;
    if (scale != null) {
      r = OneNode.of("Mul").in(NdArray.ofFloats(new long[0], scale)).in(r).run();
    }
    if (shift != null) {
      r = OneNode.of("Add").in(r).in(NdArray.ofFloats(new long[0], shift)).run();
    }
    return r;
  }

  private static OneNode post(OneNode node, Float scale, Float shift) {
    OneNode n = node;
    if (scale != null) {
      n = n.attr("post_scale", Attribute.of(scale));
    }
    if (shift != null) {
      n = n.attr("post_shift", Attribute.of(shift));
    }
    return n;
  }

  @ParameterizedTest(name = "{0} x {1} group {2} stride {3} {4} * {5} + {6}")
  @CsvSource({
      "1x8x13x11, 16x8x3x3, 1, 1, HardSwish, 0.4763231, -0.0075732437",
      "2x16x9x40, 24x16x1x1, 1, 1, Relu, 1.0679421, ",
      "1x24x37x45, 24x1x5x5, 24, 1, HardSwish, , 0.0",
      "1x12x21x21, 12x1x3x3, 12, 2, Sigmoid, -3.5, 0.25",
      "1x6x50, 10x6x3, 1, 1, Tanh, 0.3, -0.7",
      "1x8x6x5, 160x8x3x3, 1, 1, LeakyRelu, 4.7667994, 1.3562047"})
  void postScaleAndShiftEqualTheMulAndAddOpsBitForBit(String xs, String ws, long group,
      long stride, String act, Float scale, Float shift) {
    long[] xd = ints(xs);
    long[] wd = ints(ws);
    NdArray x = NdArray.ofFloats(xd, random((int) product(xd), 6));
    NdArray w = NdArray.ofFloats(wd, random((int) product(wd), 7));
    NdArray b = NdArray.ofFloats(new long[] {wd[0]}, random((int) wd[0], 8));
    long pad = wd[2] / 2;
    NdArray activated = conv(OneNode.of("convoy", "FusedConv", 1), x, w, b, group, stride, pad)
        .attr("activation", Attribute.of(act))
        .attr("activation_params", new Attribute.FloatsAttr(params(act))).run();
    NdArray want = mulThenAdd(activated, scale, shift);
    NdArray got = post(conv(OneNode.of("convoy", "FusedConv", 1), x, w, b, group, stride, pad)
        .attr("activation", Attribute.of(act))
        .attr("activation_params", new Attribute.FloatsAttr(params(act))), scale, shift).run();
    assertArrayEquals(want.dims(), got.dims());
    assertArrayEquals(want.floats(), got.floats());
  }

  @ParameterizedTest(name = "{0} x {1} group {2} stride {3} + Z, {4}")
  @CsvSource({
      "1x8x13x11, 16x8x3x3, 1, 1, Relu",
      "2x16x9x40, 24x16x1x1, 1, 1, ''",
      "1x24x37x45, 24x1x3x3, 24, 1, Clip",
      "1x12x21x21, 12x1x3x3, 12, 2, Swish",
      "1x6x50, 10x6x3, 1, 1, Relu",
      "1x8x6x5, 160x8x3x3, 1, 1, HardSwish"})
  void residualEqualsTheAddBeforeTheActivationBitForBit(String xs, String ws, long group,
      long stride, String act) {
    long[] xd = ints(xs);
    long[] wd = ints(ws);
    NdArray x = NdArray.ofFloats(xd, random((int) product(xd), 12));
    NdArray w = NdArray.ofFloats(wd, random((int) product(wd), 13));
    NdArray b = NdArray.ofFloats(new long[] {wd[0]}, random((int) wd[0], 14));
    long pad = wd[2] / 2;
    NdArray y = conv(OneNode.of("Conv"), x, w, b, group, stride, pad).run();
    NdArray z = NdArray.ofFloats(y.dims(), random(y.size(), 15));
    NdArray sum = OneNode.of("Add").in(y).in(z).run();
    NdArray want = act.isEmpty() ? sum : new Activation(act, 0, 6).apply(sum);
    NdArray got = conv(OneNode.of("convoy", "FusedConv", 1), x, w, b, group, stride, pad).in(z)
        .attr("activation", Attribute.of(act))
        .attr("activation_params", new Attribute.FloatsAttr(act.equals("Clip")
            ? new float[] {0f, 6f} : new float[0])).run();
    assertArrayEquals(want.floats(), got.floats());
  }

  @ParameterizedTest(name = "NHWC {0} x {1} group {2} {3} * {4} + {5}")
  @CsvSource({
      "1x13x11x8, 3x3x8x16, 1, HardSwish, 0.4763231, -0.0075732437",
      "1x9x40x64, 1x1x64x96, 1, Relu, 1.0679421, 0.5",
      "1x37x45x24, 5x5x1x24, 24, HardSwish, -2.0, "})
  void nhwcConvTakesTheSameScaleAndShift(String xs, String ws, long group, String act,
      Float scale, Float shift) {
    long[] xd = ints(xs);
    long[] wd = ints(ws);
    NdArray x = NdArray.ofFloats(xd, random((int) product(xd), 9));
    NdArray w = NdArray.ofFloats(wd, random((int) product(wd), 10));
    NdArray b = NdArray.ofFloats(new long[] {wd[3]}, random((int) wd[3], 11));
    long pad = wd[0] / 2;
    OneNode base = OneNode.of("convoy", "NhwcConv", 1).in(x).in(w).in(b)
        .attr("group", Attribute.of(group)).attr("pads", Attribute.of(pad, pad, pad, pad))
        .attr("activation", Attribute.of(act));
    NdArray want = mulThenAdd(base.run(), scale, shift);
    NdArray got = post(OneNode.of("convoy", "NhwcConv", 1).in(x).in(w).in(b)
        .attr("group", Attribute.of(group)).attr("pads", Attribute.of(pad, pad, pad, pad))
        .attr("activation", Attribute.of(act)), scale, shift).run();
    assertArrayEquals(want.floats(), got.floats());
  }

  @ParameterizedTest(name = "{0}x{0} kernel {1} dilation {2} pad {3}")
  @CsvSource({"45, 3, 1, 1", "40, 5, 2, 3", "7, 3, 1, 0", "70, 7, 1, 3", "1, 5, 1, 2",
      "2, 5, 1, 2"})
  void depthwiseStencilAddsTapsInKernelOrder(int size, int k, int dil, int pad) {
    int c = 3;
    float[] x = random(c * size * size, 4);
    float[] w = random(c * k * k, 5);
    NdArray y = OneNode.of("Conv").in(NdArray.ofFloats(new long[] {1, c, size, size}, x))
        .in(NdArray.ofFloats(new long[] {c, 1, k, k}, w)).attr("group", Attribute.of((long) c))
        .attr("pads", Attribute.of((long) pad, pad, pad, pad))
        .attr("dilations", Attribute.of((long) dil, dil)).run();
    int out = size + 2 * pad - (k - 1) * dil;
    float[] want = new float[c * out * out];
    for (int ch = 0; ch < c; ch++) {
      for (int i = 0; i < out; i++) {
        for (int j = 0; j < out; j++) {
          float s = 0f;
          for (int a = 0; a < k; a++) {
            for (int b = 0; b < k; b++) {
              int yy = i - pad + a * dil;
              int xx = j - pad + b * dil;
              if (yy >= 0 && yy < size && xx >= 0 && xx < size) {
                s += w[(ch * k + a) * k + b] * x[(ch * size + yy) * size + xx];
              }
            }
          }
          want[(ch * out + i) * out + j] = s;
        }
      }
    }
    assertArrayEquals(want, y.floats());
  }

  private static long product(long[] d) {
    long p = 1;
    for (long v : d) {
      p *= v;
    }
    return p;
  }
}
