package dev.convoy.ir.ops.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.text.GraphParser;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code convoy::QdqGlobalAveragePool} gives, byte for byte, what DequantizeLinear,
 * GlobalAveragePool and QuantizeLinear give in sequence in the evaluator, on random 8-bit inputs
 * whose integer means often lie exactly on a rounding tie (the same scale in and out over 64 or
 * 36 values: a sum of 32 mod 64 is a mean of k + 1/2 steps), where the exact integer form of
 * QLinearGlobalAveragePool may round otherwise.
 */
class QdqGlobalAveragePoolKernelTest {

  private static final String UNFUSED = """
      graph g (%x: T[N,C,H,W]) -> (%y: T[N,C,1,1]) {
        opset "" 13
        init %xs: float32[] = [XS]
        init %xz: T[] = [XZ]
        init %ys: float32[] = [YS]
        init %yz: T[] = [YZ]
        %d: float32[N,C,H,W] = DequantizeLinear(%x, %xs, %xz)
        %m: float32[N,C,1,1] = GlobalAveragePool(%d)
        %y = QuantizeLinear(%m, %ys, %yz)
      }
      """;

  private static final String FUSED = """
      graph g (%x: T[N,C,H,W]) -> (%y: T[N,C,1,1]) {
        opset "" 13
        opset "convoy" 1
        init %xs: float32[] = [XS]
        init %xz: T[] = [XZ]
        init %ys: float32[] = [YS]
        init %yz: T[] = [YZ]
        %y = convoy::QdqGlobalAveragePool(%x, %xs, %xz, %ys, %yz)
      }
      """;

  @ParameterizedTest(name = "{0} [{1},{2},{3},{4}] xs={5} ys={6} zero points {7}/{8}")
  @CsvSource({
      "uint8, 2, 64, 8, 8, 0.0018716247, 0.0018716247, 0, 0",
      "uint8, 1, 64, 6, 6, 0.03, 0.03, 128, 120",
      "int8, 2, 32, 8, 8, 0.0125, 0.0125, 0, 3",
      "int8, 1, 48, 7, 7, 0.03, 0.02, -5, 0",
      "uint8, 3, 16, 5, 4, 0.011, 0.0017, 7, 250",
  })
  void fusedEqualsTheThreeKernelsBitForBit(String type, int n, int c, int h, int w, String xs,
      String ys, int xz, int yz) {
    Graph unfused = graph(UNFUSED, type, n, c, h, w, xs, ys, xz, yz);
    Graph fused = graph(FUSED, type, n, c, h, w, xs, ys, xz, yz);
    DType t = type.equals("uint8") ? DType.UINT8 : DType.INT8;
    Random r = new Random(n * 31L + c * 7L + h + w);
    int ties = 0;
    for (int trial = 0; trial < 40; trial++) {
      byte[] x = new byte[n * c * h * w];
      r.nextBytes(x);
      if (trial % 2 == 1) {
        // Values near the zero point: small sums, many of them exactly half-way between steps.
        for (int i = 0; i < x.length; i++) {
          x[i] = (byte) (xz + r.nextInt(5) - 2);
        }
      }
      ties += tieSums(x, t, xz, h * w);
      Map<String, NdArray> in = Map.of("x", NdArray.wrap(t, new long[] {n, c, h, w}, x));
      byte[] want = ((NdArray) Evaluator.standard().run(unfused, Map.copyOf(in)).get("y")).bytes();
      byte[] got = ((NdArray) Evaluator.standard().run(fused, Map.copyOf(in)).get("y")).bytes();
      assertArrayEquals(want, got, "trial " + trial);
    }
    if (xs.equals(ys) && (h * w) % 2 == 0) {
      assertTrue(ties > 0, "the inputs reached no exact tie");
    }
  }

  /** Planes whose integer sum of {@code q - zero} is an odd multiple of half the count. */
  private static int tieSums(byte[] x, DType t, int zero, int count) {
    int ties = 0;
    for (int p = 0; p < x.length / count; p++) {
      long s = 0;
      for (int i = p * count; i < (p + 1) * count; i++) {
        s += (t == DType.UINT8 ? x[i] & 0xFF : x[i]) - zero;
      }
      ties += Math.floorMod(2 * s, 2L * count) == count ? 1 : 0;
    }
    return ties;
  }

  private static Graph graph(String text, String type, int n, int c, int h, int w, String xs,
      String ys, int xz, int yz) {
    return GraphParser.parse(text.replace("T[", type + "[").replace("N,C,H,W",
            n + "," + c + "," + h + "," + w).replace("N,C,1,1", n + "," + c + ",1,1")
        .replace("XS", xs).replace("YS", ys).replace("[XZ]", "[" + xz + "]")
        .replace("[YZ]", "[" + yz + "]"));
  }
}
