package dev.convoy.ir.ops.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IntGemmTest {

  /** The textbook triple loop over centred 8-bit values, in wrapping int32. */
  private static int[] naive(int m, int n, int k, byte[] a, boolean ua, int[] za, byte[] b,
      boolean ub, int[] zb, boolean transB) {
    int[] c = new int[m * n];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        int s = 0;
        for (int kk = 0; kk < k; kk++) {
          int av = (ua ? a[i * k + kk] & 0xFF : a[i * k + kk]) - za[za.length == 1 ? 0 : i];
          byte bb = transB ? b[j * k + kk] : b[kk * n + j];
          int bv = (ub ? bb & 0xFF : bb) - zb[zb.length == 1 ? 0 : j];
          s += av * bv;
        }
        c[i * n + j] = s;
      }
    }
    return c;
  }

  private static float[] centred(byte[] a, boolean unsigned, int[] za, int m, int k) {
    float[] x = new float[m * k];
    for (int i = 0; i < m * k; i++) {
      x[i] = (unsigned ? a[i] & 0xFF : a[i]) - za[za.length == 1 ? 0 : i / k];
    }
    return x;
  }

  private static int[] zeroPoints(Random rnd, boolean unsigned, int count, String kind) {
    int[] z = new int[count];
    for (int i = 0; i < count; i++) {
      z[i] = switch (kind) {
        case "centre" -> unsigned ? 128 : 0;
        case "low" -> unsigned ? 0 : -128;
        case "high" -> unsigned ? 255 : 127;
        default -> unsigned ? rnd.nextInt(256) : rnd.nextInt(256) - 128;
      };
    }
    return z;
  }

  /** Operands at the far end of the type from the zero point, so products reach 255 * 255. */
  private static byte[] operand(Random rnd, int size, boolean unsigned, String zeroKind) {
    byte[] v = new byte[size];
    for (int i = 0; i < size; i++) {
      int x = switch (zeroKind) {
        case "low" -> unsigned ? 255 : 127;
        case "high" -> unsigned ? 0 : -128;
        default -> rnd.nextInt(256);
      };
      v[i] = (byte) x;
    }
    return v;
  }

  @ParameterizedTest(name = "m={0} n={1} k={2} ua={3} ub={4} zero={5} transB={6} threads={7}")
  @CsvSource({
      "1, 1, 1, true, false, random, false, 1",
      "1, 33, 7, true, true, random, false, 1",
      "3, 5, 513, false, false, random, false, 1",
      "4, 32, 256, true, false, low, false, 1",
      "5, 31, 257, true, false, high, false, 1",
      "16, 384, 384, true, false, random, false, 1",
      "17, 97, 1537, false, true, high, false, 2",
      "7, 65, 300, false, false, low, true, 2",
      "2, 3, 1000, true, true, low, true, 1",
      "33, 130, 9, true, true, random, true, 2",
      "6, 40, 255, false, true, high, false, 2",
  })
  void equalsTheNaiveProductExactly(int m, int n, int k, boolean ua, boolean ub, String zero,
      boolean transB, int threads) {
    Random rnd = new Random(31L * m + 17L * n + k);
    byte[] a = operand(rnd, m * k, ua, zero);
    byte[] b = operand(rnd, k * n, ub, zero);
    int[] za = zeroPoints(rnd, ua, zero.equals("random") ? m : 1, zero);
    int[] zb = zeroPoints(rnd, ub, zero.equals("random") ? n : 1, zero);
    int[] want = naive(m, n, k, a, ua, za, b, ub, zb, transB);
    IntGemm.PackedB packed = IntGemm.packBytes(b, 0, transB ? 1 : n, transB ? k : 1, k, n, ub,
        zb);
    int[] got = new int[m * n + 3];
    got[m * n] = 42;
    IntGemm.gemm(m, centred(a, ua, za, m, k), 0, packed, got, 0, Parallel.of(threads));
    assertArrayEquals(want, java.util.Arrays.copyOf(got, m * n));
    assertArrayEquals(new int[] {42, 0, 0}, java.util.Arrays.copyOfRange(got, m * n, m * n + 3));
  }

  /**
   * B centred within [-128, 127] (signed with zero point 0, unsigned with 128: dynamically
   * quantized weights) is packed as bytes where the Vector API kernel exists, and multiplies to
   * the same exact integers; A's rows at the far end of their range so that products reach
   * 255 * 128 in every k block.
   */
  @ParameterizedTest(name = "m={0} n={1} k={2} ub={3} transB={4} threads={5}")
  @CsvSource({
      "1, 1, 1, false, false, 1",
      "5, 31, 257, true, false, 1",
      "8, 32, 256, false, false, 1",
      "16, 384, 384, false, false, 1",
      "16, 96, 1536, true, true, 2",
      "17, 33, 700, false, false, 2",
      "3, 65, 513, true, false, 1",
  })
  void bytePackedBEqualsTheNaiveProductExactly(int m, int n, int k, boolean ub, boolean transB,
      int threads) {
    Random rnd = new Random(7L * m + 3L * n + k);
    byte[] a = operand(rnd, m * k, true, "low");
    byte[] b = operand(rnd, k * n, ub, "random");
    b[0] = (byte) (ub ? 0 : -128);
    int[] za = new int[1];
    int[] zb = zeroPoints(rnd, ub, 1, "centre");
    int[] want = naive(m, n, k, a, true, za, b, ub, zb, transB);
    IntGemm.PackedB packed = IntGemm.packBytes(b, 0, transB ? 1 : n, transB ? k : 1, k, n, ub,
        zb);
    org.junit.jupiter.api.Assertions.assertEquals(IntGemm.narrowKernel(),
        packed.narrow() != null);
    int[] got = new int[m * n];
    IntGemm.gemm(m, centred(a, true, za, m, k), 0, packed, got, 0, Parallel.of(threads));
    assertArrayEquals(want, got);
  }

  /**
   * The scaled product is {@code (float) C * multiplier[j] (+ bias[j])} of the exact C, rounded
   * after the product and after the sum, bit for bit: for byte-packed B within one block (k up to
   * 512, written from the float tile, whole and partial panels and row tiles), across blocks, and
   * for float-packed B; negative multipliers and a zero C give the signed zeros scalar code gives.
   */
  @ParameterizedTest(name = "m={0} n={1} k={2} ub={3} bias={4} threads={5}")
  @CsvSource({
      "16, 384, 384, false, true, 1",
      "16, 64, 512, false, true, 1",
      "5, 31, 100, true, true, 1",
      "9, 70, 512, false, false, 2",
      "16, 96, 513, false, true, 1",
      "3, 40, 1536, true, false, 1",
      "8, 32, 7, false, true, 2",
  })
  void scaledProductEqualsTheScalarFormula(int m, int n, int k, boolean ub, boolean withBias,
      int threads) {
    Random rnd = new Random(11L * m + 5L * n + k);
    byte[] a = operand(rnd, m * k, true, "random");
    byte[] b = operand(rnd, k * n, ub, "random");
    int[] za = zeroPoints(rnd, true, 1, "random");
    int[] zb = zeroPoints(rnd, ub, 1, "centre");
    b[0] = (byte) (ub ? 0 : -128);
    for (int kk = 0; kk < k; kk++) {
      b[kk * n + n - 1] = (byte) zb[0];
    }
    int[] c = naive(m, n, k, a, true, za, b, ub, zb, false);
    float[] multiplier = new float[n];
    float[] bias = withBias ? new float[n] : null;
    for (int j = 0; j < n; j++) {
      multiplier[j] = (rnd.nextBoolean() ? -1 : 1) * rnd.nextFloat() * 1e-3f;
      if (bias != null) {
        bias[j] = j % 5 == 0 ? -0f : rnd.nextFloat() - 0.5f;
      }
    }
    float[] want = new float[m * n + 2];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        float p = (float) c[i * n + j] * multiplier[j];
        want[1 + i * n + j] = bias == null ? p : p + bias[j];
      }
    }
    float[] got = new float[m * n + 2];
    IntGemm.PackedB packed = IntGemm.packBytes(b, 0, n, 1, k, n, ub, zb);
    IntGemm.gemmScaled(m, centred(a, true, za, m, k), 0, packed, multiplier, bias, got, 1,
        Parallel.of(threads));
    for (int x = 0; x < want.length; x++) {
      if (Float.floatToRawIntBits(want[x]) != Float.floatToRawIntBits(got[x])) {
        throw new AssertionError("element " + x + ": want " + want[x] + ", got " + got[x]);
      }
    }
  }

  @ParameterizedTest(name = "m={0} k={1}")
  @CsvSource({"1, 40000", "4, 34000"})
  void wrapsAsInt32AccumulationDoes(int m, int k) {
    // Every product is 255 * 255: the exact sum exceeds 2^31 and wraps, as ONNX Runtime's does.
    byte[] a = new byte[m * k];
    java.util.Arrays.fill(a, (byte) 255);
    byte[] b = new byte[k * 3];
    int[] want = naive(m, 3, k, a, true, new int[1], b, true, new int[] {255}, false);
    int[] got = new int[m * 3];
    IntGemm.gemm(m, centred(a, true, new int[1], m, k), 0,
        IntGemm.packBytes(b, 0, 3, 1, k, 3, true, new int[] {255}), got, 0, Parallel.serial());
    assertArrayEquals(want, got);
  }

  @ParameterizedTest(name = "rows={0} kl={1}")
  @CsvSource({"1, 1", "1, 256", "2, 17", "3, 200", "4, 256", "5, 100", "7, 3", "8, 256"})
  void vectorBlockEqualsScalarBlock(int rows, int kl) {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
            && VectorIntGemm.fits(IntGemm.PANEL),
        "the Vector API (jdk.incubator.vector) is not in this JVM");
    Random rnd = new Random(rows * 1000L + kl);
    float[] ap = new float[kl * IntGemm.MR];
    for (int kk = 0; kk < kl; kk++) {
      for (int r = 0; r < rows; r++) {
        ap[kk * IntGemm.MR + r] = rnd.nextInt(511) - 255;
      }
    }
    float[] bp = new float[kl * IntGemm.PANEL];
    for (int i = 0; i < bp.length; i++) {
      bp[i] = rnd.nextBoolean() ? 255 : rnd.nextInt(511) - 255;
    }
    float[] scalar = new float[IntGemm.MR * IntGemm.PANEL];
    float[] vector = new float[IntGemm.MR * IntGemm.PANEL];
    java.util.Arrays.fill(vector, 7f);
    IntGemm.scalarBlock(ap, 0, bp, 0, kl, rows, scalar);
    VectorIntGemm.block(ap, 0, bp, 0, kl, rows, vector);
    assertArrayEquals(scalar, vector);
  }
}
