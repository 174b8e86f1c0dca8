package dev.convoy.ir.ops.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.HalfFloats;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OneNode;
import org.junit.jupiter.api.Test;

class ElementwiseTest {
  private static long[] d(long... dims) {
    return dims;
  }

  @Test
  void addBroadcastsRowOverMatrix() {
    NdArray a = NdArray.ofFloats(d(2, 3), 1, 2, 3, 4, 5, 6);
    NdArray b = NdArray.ofFloats(d(3), 10, 20, 30);
    NdArray y = OneNode.of("Add").in(a).in(b).run();
    assertArrayEquals(d(2, 3), y.dims());
    assertArrayEquals(new float[] {11, 22, 33, 14, 25, 36}, y.floats());
  }

  /**
   * Float32 Max and Min run FloatKernels' loops: every broadcast form (same shape, scalar either
   * side, row, column) must give what Math.max/min give per element, NaN and signed zeros kept.
   */
  @Test
  void floatMaxAndMinKeepNanAndSignedZeroInEveryBroadcastForm() {
    float nan = Float.NaN;
    float inf = Float.POSITIVE_INFINITY;
    float[] xs = {-0.0f, 0.0f, nan, 1.5f, -inf, -2f};
    NdArray x = NdArray.ofFloats(d(2, 3), xs);
    float[][] others = {{0.0f, -0.0f, 1f, nan, 3f, -inf}, {0.0f}, {-0.0f, 2f, nan}, {nan, 1f}};
    long[][] shapes = {d(2, 3), d(), d(3), d(2, 1)};
    for (String op : new String[] {"Max", "Min"}) {
      for (int s = 0; s < others.length; s++) {
        NdArray y = NdArray.ofFloats(shapes[s], others[s]);
        for (boolean swap : new boolean[] {false, true}) {
          NdArray got = (swap ? OneNode.of(op).in(y).in(x) : OneNode.of(op).in(x).in(y)).run();
          float[] want = new float[6];
          for (int i = 0; i < 6; i++) {
            int j = others[s].length == 6 ? i : others[s].length == 1 ? 0
                : others[s].length == 3 ? i % 3 : i / 3;
            float a = swap ? others[s][j] : xs[i];
            float b = swap ? xs[i] : others[s][j];
            want[i] = op.equals("Max") ? Math.max(a, b) : Math.min(a, b);
          }
          assertArrayEquals(want, got.floats(), op + " " + s + (swap ? " swapped" : ""));
        }
      }
    }
  }

  @Test
  void mulBroadcastsBothWays() {
    NdArray a = NdArray.ofLongs(d(3, 1), 1, 2, 3);
    NdArray b = NdArray.ofLongs(d(1, 2), 10, 100);
    NdArray y = OneNode.of("Mul").in(a).in(b).run();
    assertArrayEquals(d(3, 2), y.dims());
    assertArrayEquals(new long[] {10, 100, 20, 200, 30, 300}, y.longs());
  }

  @Test
  void int32AdditionWrapsLikeTheHardware() {
    NdArray a = NdArray.ofInts(d(1), Integer.MAX_VALUE);
    NdArray y = OneNode.of("Add").in(a).in(NdArray.ofInts(d(1), 1)).run();
    assertEquals(Integer.MIN_VALUE, y.ints()[0]);
  }

  @Test
  void incompatibleBroadcastIsAClearError() {
    var e = assertThrows(ConvoyException.class, () -> OneNode.of("Add")
        .in(NdArray.ofFloats(d(2), 1, 2)).in(NdArray.ofFloats(d(3), 1, 2, 3)).run());
    assertTrue(e.getMessage().contains("[2]") && e.getMessage().contains("[3]"), e.getMessage());
  }

  @Test
  void integerDivisionTruncatesAndModFollowsDivisorSign() {
    NdArray a = NdArray.ofInts(d(2), -7, 7);
    NdArray b = NdArray.ofInts(d(2), 2, -2);
    assertArrayEquals(new int[] {-3, -3}, OneNode.of("Div").in(a).in(b).run().ints());
    assertArrayEquals(new int[] {1, -1}, OneNode.of("Mod").in(a).in(b).run().ints());
    assertArrayEquals(new int[] {-1, 1}, OneNode.of("Mod").in(a).in(b)
        .attr("fmod", Attribute.of(1L)).run().ints());
  }

  @Test
  void integerDivisionByZeroIsAnErrorNotAValue() {
    assertThrows(ConvoyException.class, () -> OneNode.of("Div")
        .in(NdArray.ofInts(d(1), 1)).in(NdArray.ofInts(d(1), 0)).run());
  }

  @Test
  void activationsMatchTheirFormulas() {
    NdArray x = NdArray.ofFloats(d(4), -2, -0.5f, 0.5f, 3);
    assertArrayEquals(new float[] {0, 0, 0.5f, 3}, OneNode.of("Relu").in(x).run().floats());
    assertArrayEquals(new float[] {-0.2f, -0.05f, 0.5f, 3},
        OneNode.of("LeakyRelu").in(x).attr("alpha", Attribute.of(0.1f)).run().floats(), 1e-6f);
    float[] sig = OneNode.of("Sigmoid").in(x).run().floats();
    assertEquals(1 / (1 + Math.exp(2)), sig[0], 1e-6);
    float[] hs = OneNode.of("HardSigmoid").in(x).run().floats();
    assertArrayEquals(new float[] {0.1f, 0.4f, 0.6f, 1f}, hs, 1e-6f);
    float[] gelu = OneNode.of("Gelu", 20).in(x).run().floats();
    assertEquals(1.5 * (1 + 0.9973002039367398), gelu[3], 1e-5);
  }

  @Test
  void erfIsAccurate() {
    assertEquals(0.5204998778130465, Elementwise.erf(0.5), 1e-15);
    assertEquals(-0.9953222650189527, Elementwise.erf(-2), 1e-15);
    assertEquals(0.9999999845827421, Elementwise.erf(4), 1e-15);
  }

  @Test
  void clipReadsBoundsFromAttributesBeforeOpset11AndInputsAfter() {
    NdArray x = NdArray.ofFloats(d(3), -5, 0, 5);
    NdArray old = OneNode.of("Clip", 6).in(x)
        .attr("min", Attribute.of(-1f)).attr("max", Attribute.of(1f)).run();
    assertArrayEquals(new float[] {-1, 0, 1}, old.floats());
    NdArray now = OneNode.of("Clip", 13).in(x).none().in(NdArray.scalarFloat(2)).run();
    assertArrayEquals(new float[] {-5, 0, 2}, now.floats());
  }

  @Test
  void comparisonsAndWhere() {
    NdArray a = NdArray.ofFloats(d(3), 1, 5, 3);
    NdArray b = NdArray.ofFloats(d(1), 3);
    NdArray gt = OneNode.of("Greater").in(a).in(b).run();
    assertEquals(DType.BOOL, gt.dtype());
    assertArrayEquals(new byte[] {0, 1, 0}, gt.bytes());
    NdArray w = OneNode.of("Where").in(gt).in(a).in(NdArray.ofFloats(d(), -1)).run();
    assertArrayEquals(new float[] {-1, 5, -1}, w.floats());
  }

  @Test
  void uint64ComparesUnsigned() {
    NdArray big = NdArray.wrap(DType.UINT64, d(1), new long[] {-1L});
    NdArray one = NdArray.wrap(DType.UINT64, d(1), new long[] {1L});
    assertArrayEquals(new byte[] {1}, OneNode.of("Greater").in(big).in(one).run().bytes());
  }

  @Test
  void variadicSumMeanMaxMin() {
    NdArray a = NdArray.ofFloats(d(2), 1, 8);
    NdArray b = NdArray.ofFloats(d(2), 3, 2);
    NdArray c = NdArray.ofFloats(d(1), 5);
    assertArrayEquals(new float[] {9, 15}, OneNode.of("Sum").in(a).in(b).in(c).run().floats());
    assertArrayEquals(new float[] {3, 5}, OneNode.of("Mean").in(a).in(b).in(c).run().floats());
    assertArrayEquals(new float[] {5, 8}, OneNode.of("Max").in(a).in(b).in(c).run().floats());
    assertArrayEquals(new float[] {1, 2}, OneNode.of("Min").in(a).in(b).in(c).run().floats());
  }

  @Test
  void castRoundsHalfAndTruncatesToInteger() {
    NdArray x = NdArray.ofFloats(d(3), 1.7f, -1.7f, 65504f);
    NdArray i = OneNode.of("Cast").in(x).attr("to", Attribute.of((long) DType.INT32.onnxCode()))
        .run();
    assertArrayEquals(new int[] {1, -1, 65504}, i.ints());
    NdArray h = OneNode.of("Cast").in(x).attr("to", Attribute.of((long) DType.FLOAT16.onnxCode()))
        .run();
    assertEquals(65504f, HalfFloats.toFloat(h.shorts()[2]));
    NdArray back = OneNode.of("CastLike").in(h).in(NdArray.ofFloats(d(0))).run();
    assertEquals(1.7f, back.floats()[0], 1e-3f);
  }

  @Test
  void float16MathComputesInFloatAndRoundsBack() {
    NdArray x = NdArray.fromFloats(DType.FLOAT16, d(2), new float[] {1, 4});
    NdArray y = OneNode.of("Sqrt").in(x).run();
    assertEquals(DType.FLOAT16, y.dtype());
    assertEquals(2f, HalfFloats.toFloat(y.shorts()[1]));
  }

  @Test
  void bitShiftAndBitwiseOps() {
    NdArray a = NdArray.wrap(DType.UINT8, d(2), new byte[] {(byte) 0x81, 4});
    NdArray s = NdArray.wrap(DType.UINT8, d(2), new byte[] {1, 2});
    NdArray l = OneNode.of("BitShift").in(a).in(s).attr("direction", Attribute.of("LEFT")).run();
    assertArrayEquals(new byte[] {2, 16}, l.bytes());
    NdArray r = OneNode.of("BitShift").in(a).in(s).attr("direction", Attribute.of("RIGHT")).run();
    assertArrayEquals(new byte[] {0x40, 1}, r.bytes());
    assertArrayEquals(new byte[] {(byte) 0x7E, (byte) 0xFB},
        OneNode.of("BitwiseNot", 18).in(a).run().bytes());
  }

  /**
   * The exponent-2 shortcut (a float multiply) against the general kernel (double pow of every
   * element pair, rounded), which the same exponents as a full tensor take: bit for bit.
   */
  @Test
  void powOfTwoSquaresFloatsAsTheGeneralKernelDoes() {
    int n = 4099;
    float[] x = new float[n];
    float[] two = new float[n];
    java.util.Random r = new java.util.Random(2);
    for (int i = 0; i < n; i++) {
      x[i] = Float.intBitsToFloat(r.nextInt());
      two[i] = 2f;
    }
    float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0f,
        Float.MIN_VALUE, -Float.MAX_VALUE, 1.5e19f, -3e-23f};
    System.arraycopy(special, 0, x, 0, special.length);
    NdArray base = NdArray.ofFloats(d(n), x);
    float[] fast = OneNode.of("Pow").in(base).in(NdArray.ofFloats(d(), 2f)).run().floats();
    float[] general = OneNode.of("Pow").in(base).in(NdArray.ofFloats(d(n), two)).run().floats();
    for (int i = 0; i < n; i++) {
      assertEquals(Float.floatToIntBits(general[i]), Float.floatToIntBits(fast[i]),
          "pow(" + x[i] + ", 2)");
    }
  }

  /**
   * ReduceMean and ReduceSum of float32 over trailing axes (a contiguous run per output, summed
   * in float) against the general path over the same values transposed (axes 0 and 2 of [1, 1,
   * len, rows] reduced, which are not one block): the same order of float additions, so the same
   * bits.
   */
  @Test
  void floatMeanOverTrailingAxesEqualsTheGeneralReduction() {
    int rows = 7;
    int len = 1000;
    float[] x = new float[rows * len];
    float[] xt = new float[rows * len];
    java.util.Random r = new java.util.Random(4);
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < len; j++) {
        float v = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(8) - 4));
        x[i * len + j] = v;
        xt[j * rows + i] = v;
      }
    }
    for (String op : new String[] {"ReduceMean", "ReduceSum"}) {
      NdArray fast = OneNode.of(op, 18).in(NdArray.ofFloats(d(rows, len), x))
          .in(NdArray.ofLongs(d(1), -1)).run();
      NdArray general = OneNode.of(op, 18).in(NdArray.ofFloats(d(1, 1, len, rows), xt))
          .in(NdArray.ofLongs(d(2), 0, 2)).run();
      assertArrayEquals(d(rows, 1), fast.dims());
      assertArrayEquals(general.floats(), fast.floats(), op);
    }
  }

  /**
   * ReduceMean and ReduceSum of float32 over a block of middle axes with kept axes after it (a
   * channels-last spatial mean: axes 1 and 2 of [N, H, W, C]) against the general path over the
   * same values with a kept axis of size 1 between the reduced ones (axes 1 and 3 of [N, H, 1, W,
   * C]): the same float additions in the same order, so the same bits, NaN and infinities
   * included.
   */
  @Test
  void floatMeanOverMiddleAxesEqualsTheGeneralReduction() {
    int n = 2;
    int h = 9;
    int w = 7;
    int c = 37;
    float[] x = new float[n * h * w * c];
    java.util.Random r = new java.util.Random(6);
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(8) - 4));
    }
    x[5] = Float.NaN;
    x[c + 6] = Float.POSITIVE_INFINITY;
    for (String op : new String[] {"ReduceMean", "ReduceSum"}) {
      NdArray fast = OneNode.of(op, 18).in(NdArray.ofFloats(d(n, h, w, c), x))
          .in(NdArray.ofLongs(d(2), 1, 2)).run();
      NdArray general = OneNode.of(op, 18).in(NdArray.ofFloats(d(n, h, 1, w, c), x))
          .in(NdArray.ofLongs(d(2), 1, 3)).run();
      assertArrayEquals(d(n, 1, 1, c), fast.dims());
      assertArrayEquals(general.floats(), fast.floats(), op);
      float[] first = new float[c];
      for (int p = 0; p < h * w; p++) {
        for (int j = 0; j < c; j++) {
          first[j] += x[p * c + j];
        }
      }
      assertEquals(Float.isNaN(first[5]), Float.isNaN(fast.floats()[5]), op);
    }
  }

  @Test
  void powKeepsBaseType() {
    NdArray x = NdArray.ofInts(d(3), 1, 2, 3);
    NdArray y = NdArray.ofFloats(d(3), 4, 5, 6);
    assertArrayEquals(new int[] {1, 32, 729}, OneNode.of("Pow").in(x).in(y).run().ints());
  }

  @Test
  void stringEqualityAndCastToString() {
    NdArray a = NdArray.wrap(DType.STRING, d(2), new byte[][] {"a".getBytes(), "b".getBytes()});
    NdArray b = NdArray.wrap(DType.STRING, d(1), new byte[][] {"b".getBytes()});
    assertArrayEquals(new byte[] {0, 1}, OneNode.of("Equal", 19).in(a).in(b).run().bytes());
    NdArray s = OneNode.of("Cast").in(NdArray.ofFloats(d(2), 1.5f, 1e-5f))
        .attr("to", Attribute.of((long) DType.STRING.onnxCode())).run();
    assertEquals("1.5", new String(s.strings()[0]));
    assertEquals("1e-05", new String(s.strings()[1]));
  }

  @Test
  void unsupportedOpNamesOpDomainAndOpset() {
    var e = assertThrows(UnsupportedOpException.class,
        () -> OneNode.of("FancyOp", 17).in(NdArray.scalarFloat(1)).run());
    assertTrue(e.getMessage().contains("FancyOp") && e.getMessage().contains("ai.onnx")
        && e.getMessage().contains("17"), e.getMessage());
  }

  @Test
  void opsetOlderThanFirstEntryIsUnsupported() {
    var e = assertThrows(UnsupportedOpException.class, () -> OneNode.of("Gelu", 18)
        .in(NdArray.scalarFloat(1)).run());
    assertTrue(e.getMessage().contains("from opset 20"), e.getMessage());
  }
}
