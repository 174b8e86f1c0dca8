package dev.convoy.ir.ops.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OneNode;
import dev.convoy.ir.ops.runtime.Blas;
import dev.convoy.ir.ops.runtime.Parallel;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * MatMulInteger's blocked int32 product against the textbook triple loop over {@code (a - za)
 * (b - zb)}: exact on odd shapes that leave row, k and column tails, with per-row and
 * per-column zero points and broadcast batch dimensions, at any thread count.
 */
class QuantizeTest {
  private static byte[] randomBytes(Random r, int n) {
    byte[] v = new byte[n];
    r.nextBytes(v);
    return v;
  }

  @ParameterizedTest(name = "{0}x{1}x{2}")
  @CsvSource({"1,1,1", "3,5,7", "5,513,131", "17,64,300"})
  void matMulIntegerEqualsTheTripleLoopWithZeroPointsAndBroadcastBatches(int m, int k, int n) {
    Random r = new Random(m * 1_000_003L + k * 1009L + n);
    // A: uint8 [2, 1, m, k] with a zero point per row; B: int8 [3, k, n] per column.
    byte[] a = randomBytes(r, 2 * m * k);
    byte[] b = randomBytes(r, 3 * k * n);
    byte[] za = randomBytes(r, m);
    byte[] zb = randomBytes(r, n);
    int[] want = new int[2 * 3 * m * n];
    for (int p = 0; p < 2; p++) {
      for (int q = 0; q < 3; q++) {
        for (int i = 0; i < m; i++) {
          for (int j = 0; j < n; j++) {
            int s = 0;
            for (int kk = 0; kk < k; kk++) {
              int x = (a[(p * m + i) * k + kk] & 0xFF) - (za[i] & 0xFF);
              int y = b[(q * k + kk) * n + j] - zb[j];
              s += x * y;
            }
            want[((p * 3 + q) * m + i) * n + j] = s;
          }
        }
      }
    }
    NdArray got = OneNode.of("MatMulInteger", 10)
        .in(NdArray.wrap(DType.UINT8, new long[] {2, 1, m, k}, a))
        .in(NdArray.wrap(DType.INT8, new long[] {3, k, n}, b))
        .in(NdArray.wrap(DType.UINT8, new long[] {m}, za))
        .in(NdArray.wrap(DType.INT8, new long[] {n}, zb))
        .run();
    assertArrayEquals(new long[] {2, 3, m, n}, got.dims());
    assertArrayEquals(want, got.ints());
  }

  @ParameterizedTest(name = "{0} per channel {1}")
  @CsvSource({"UINT8,false", "INT8,false", "UINT8,true", "INT8,true"})
  void floatToByteQuantizeAndBackFollowTheSpecFormulas(DType type, boolean perChannel) {
    Random r = new Random(type.ordinal() * 2L + (perChannel ? 1 : 0));
    int channels = 3;
    int inner = 50;
    float[] x = new float[2 * channels * inner];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (r.nextGaussian() * 40);
    }
    x[0] = Float.NaN;
    int ns = perChannel ? channels : 1;
    float[] scale = new float[ns];
    byte[] zp = new byte[ns];
    for (int c = 0; c < ns; c++) {
      scale[c] = 0.05f + r.nextFloat();
      zp[c] = (byte) (type == DType.UINT8 ? 100 + c : c - 3);
    }
    long[] sdims = perChannel ? new long[] {channels} : new long[0];
    NdArray q = OneNode.of("QuantizeLinear", 21)
        .in(NdArray.wrap(DType.FLOAT, new long[] {2, channels, inner}, x))
        .in(NdArray.wrap(DType.FLOAT, sdims, scale))
        .in(NdArray.wrap(type, sdims, zp))
        .run();
    int lo = type == DType.UINT8 ? 0 : -128;
    int hi = type == DType.UINT8 ? 255 : 127;
    float[] back = OneNode.of("DequantizeLinear", 21).in(q)
        .in(NdArray.wrap(DType.FLOAT, sdims, scale))
        .in(NdArray.wrap(type, sdims, zp))
        .run().floats();
    for (int i = 0; i < x.length; i++) {
      int c = perChannel ? (i / inner) % channels : 0;
      int z = type == DType.UINT8 ? zp[c] & 0xFF : zp[c];
      double v = Math.rint((float) (x[i] / (double) scale[c])) + z;
      long want = Double.isNaN(v) ? 0 : (long) Math.max(lo, Math.min(hi, v));
      long got = q.getLong(i);
      if (want != got || back[i] != (float) ((got - z) * (double) scale[c])) {
        throw new AssertionError("element " + i + ": x " + x[i] + " quantized to " + got
            + " (want " + want + "), back to " + back[i]);
      }
    }
  }

  @ParameterizedTest(name = "{0}x{1}x{2}")
  @CsvSource({"1,1,1", "3,5,7", "9,600,129", "33,40,257"})
  void igemmAccumulatesExactlyAtAnyThreadCount(int m, int n, int k) {
    Random r = new Random(m + 31L * n + 977L * k);
    int[] a = r.ints(m * k, -255, 256).toArray();
    int[] b = r.ints(k * n, -255, 256).toArray();
    int[] c0 = r.ints(m * n, -1000, 1000).toArray();
    int[] want = c0.clone();
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        for (int kk = 0; kk < k; kk++) {
          want[i * n + j] += a[i * k + kk] * b[kk * n + j];
        }
      }
    }
    for (int threads : new int[] {1, 2, 3}) {
      int[] got = c0.clone();
      Blas.igemm(m, n, k, a, 0, b, 0, got, 0, Parallel.of(threads));
      assertArrayEquals(want, got, threads + " threads");
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"ties", "gaussian", "wide"})
  void dynamicQuantizeLinearFollowsTheSpecFormulaIncludingTies(String kind) {
    Random r = new Random(kind.hashCode());
    float[] x = new float[1000];
    for (int i = 0; i < x.length; i++) {
      x[i] = switch (kind) {
        // min -1 and max 254 make the scale exactly 1, so every k + 0.5 is a rounding tie.
        case "ties" -> r.nextInt(255) - 1 + (r.nextBoolean() ? 0.5f : 0f);
        case "gaussian" -> (float) (r.nextGaussian() * 3);
        default -> (float) (r.nextGaussian() * 1e6);
      };
    }
    if (kind.equals("ties")) {
      x[0] = -1;
      x[1] = 254;
    }
    List<NdArray> got = OneNode.of("DynamicQuantizeLinear", 11)
        .in(NdArray.wrap(DType.FLOAT, new long[] {10, 100}, x)).outputs(3).runAll();
    float min = 0;
    float max = 0;
    for (float f : x) {
      min = Math.min(min, f);
      max = Math.max(max, f);
    }
    float scale = (max - min) / 255f;
    long zp = (long) Math.max(0, Math.min(255, Math.rint((0 - min) / scale)));
    assertArrayEquals(new float[] {scale}, got.get(1).floats());
    assertArrayEquals(new long[] {zp}, got.get(2).toLongs());
    for (int i = 0; i < x.length; i++) {
      double v = Math.rint(x[i] / scale) + zp;
      long want = (long) Math.max(0, Math.min(255, v));
      if (got.get(0).getLong(i) != want) {
        throw new AssertionError("element " + i + ": x " + x[i] + " quantized to "
            + got.get(0).getLong(i) + ", want " + want);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"UINT8", "INT8"})
  void quantizeLinearRoundsTiesToEvenAndSaturates(DType type) {
    // Scale 0.5: x = j / 4 gives quotients j / 2, a tie for every odd j; the far ends saturate.
    float[] x = new float[2001];
    for (int j = 0; j < x.length; j++) {
      x[j] = (j - 1000) / 4f;
    }
    x[0] = Float.NEGATIVE_INFINITY;
    x[1] = Float.POSITIVE_INFINITY;
    x[2] = Float.NaN;
    byte zp = (byte) (type == DType.UINT8 ? 3 : -3);
    NdArray q = OneNode.of("QuantizeLinear", 13)
        .in(NdArray.wrap(DType.FLOAT, new long[] {x.length}, x))
        .in(NdArray.wrap(DType.FLOAT, new long[0], new float[] {0.5f}))
        .in(NdArray.wrap(type, new long[0], new byte[] {zp}))
        .run();
    int lo = type == DType.UINT8 ? 0 : -128;
    int hi = type == DType.UINT8 ? 255 : 127;
    int z = type == DType.UINT8 ? zp & 0xFF : zp;
    for (int i = 0; i < x.length; i++) {
      double v = Math.rint(x[i] / 0.5) + z;
      long want = Double.isNaN(v) ? 0 : (long) Math.max(lo, Math.min(hi, v));
      if (q.getLong(i) != want) {
        throw new AssertionError("x " + x[i] + " quantized to " + q.getLong(i) + ", want " + want);
      }
    }
  }

  @org.junit.jupiter.api.Test
  void matMulIntegerRereadsAGraphInputItsCallerRefills() {
    // B is a graph input, not a weight: its packing must not be kept across runs, even when
    // the caller passes the same array again with new contents.
    dev.convoy.ir.graph.Graph g = new dev.convoy.ir.graph.Graph();
    g.opsets().put("", 13L);
    var a = g.addInput("a", new dev.convoy.ir.graph.ValueType.TensorType(DType.UINT8,
        dev.convoy.ir.graph.Shape.of(2, 3)));
    var b = g.addInput("b", new dev.convoy.ir.graph.ValueType.TensorType(DType.INT8,
        dev.convoy.ir.graph.Shape.of(3, 2)));
    var node = g.addNode("", "MatMulInteger", List.of(a, b), List.of("y"), java.util.Map.of());
    g.addOutput(node.outputs().get(0));
    byte[] av = {1, 2, 3, 4, 5, 6};
    byte[] bv = {1, 0, 0, 1, 1, 1};
    var ev = dev.convoy.ir.eval.Evaluator.standard();
    java.util.Map<String, NdArray> feeds = java.util.Map.of(
        "a", NdArray.wrap(DType.UINT8, new long[] {2, 3}, av),
        "b", NdArray.wrap(DType.INT8, new long[] {3, 2}, bv));
    assertArrayEquals(new int[] {4, 5, 10, 11},
        ((NdArray) ev.run(g, feeds).get("y")).ints());
    java.util.Arrays.fill(bv, (byte) 2);
    assertArrayEquals(new int[] {12, 12, 30, 30},
        ((NdArray) ev.run(g, feeds).get("y")).ints());
  }
}
