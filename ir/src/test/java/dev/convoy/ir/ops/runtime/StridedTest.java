package dev.convoy.ir.ops.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link Strided#copy} writes {@code dst[dstOff + i . dstStrides] = src[srcOff + i . srcStrides]}
 * for every index tuple, whatever loop order it picks: transposes whose innermost output row is
 * short (NCHW to NHWC of a 3-channel image), channel runs into a wider output (Concat on the last
 * axis), reversed and broadcast strides; elements outside the written region stay.
 */
class StridedTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = ';', value = {
      "NCHW to NHWC, 3 channels; 2,5,7,3; 105,7,1,35",
      "NHWC to NCHW; 2,3,5,7; 105,1,21,3",
      "channel run of 4 into 9 channels; 6,5,4; 20,4,1",
      "one channel; 40,1; 1,1",
      "reversed short rows; 30,2; -2,1",
      "broadcast short rows; 25,3; 0,1"})
  void copiesEveryIndexTupleOnce(String name, String dimsText, String srcText) {
    long[] dims = Arrays.stream(dimsText.split(",")).mapToLong(Long::parseLong).toArray();
    int[] srcStrides = Arrays.stream(srcText.split(",")).mapToInt(Integer::parseInt).toArray();
    int rank = dims.length;
    int n = 1;
    for (long d : dims) {
      n *= (int) d;
    }
    // The destination: row-major with the last axis padded by 5 elements (a region of a
    // larger output, as Concat writes).
    int[] dstStrides = new int[rank];
    int acc = (int) dims[rank - 1] + 5;
    dstStrides[rank - 1] = 1;
    for (int i = rank - 2; i >= 0; i--) {
      dstStrides[i] = acc;
      acc *= (int) dims[i];
    }
    int srcOff = 0;
    for (int i = 0; i < rank; i++) {
      srcOff += srcStrides[i] < 0 ? (int) (-srcStrides[i] * (dims[i] - 1)) : 0;
    }
    float[] src = new float[srcOff + 4 * n + 3];
    for (int i = 0; i < src.length; i++) {
      src[i] = i + 0.25f;
    }
    float[] want = new float[2 + acc];
    Arrays.fill(want, -1f);
    float[] got = want.clone();
    int[] idx = new int[rank];
    for (int k = 0; k < n; k++) {
      int s = srcOff;
      int d = 2;
      for (int i = 0; i < rank; i++) {
        s += idx[i] * srcStrides[i];
        d += idx[i] * dstStrides[i];
      }
      want[d] = src[s];
      for (int i = rank - 1; i >= 0 && ++idx[i] == dims[i]; i--) {
        idx[i] = 0;
      }
    }
    Strided.copy(src, srcOff, srcStrides, got, 2, dstStrides, dims);
    assertArrayEquals(want, got);
  }
}
