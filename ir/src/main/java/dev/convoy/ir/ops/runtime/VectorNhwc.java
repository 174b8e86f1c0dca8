package dev.convoy.ir.ops.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link NhwcGemm}'s kernels on the JDK's Vector API with 256-bit vectors (the packed layout's
 * {@value NhwcGemm#LANES} floats, so a panel's vectors need no masks): a register tile of four
 * pixels by one to four vectors of output channels, accumulated in k order with a multiply then
 * an add, equal bit for bit to the scalar loops. Loaded only when {@link Blas#vectorized()} holds.
 */
final class VectorNhwc {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
  private static final int L = NhwcGemm.LANES;

  private VectorNhwc() {}

  /** Whether 256-bit float vectors are native here (else the scalar loops are faster). */
  static boolean usable() {
    return FloatVector.SPECIES_PREFERRED.vectorBitSize() >= S.vectorBitSize();
  }

  /** As {@link NhwcGemm#multiply}. */
  static void multiply(int rows, float[] a, int aOff, int lda, NhwcGemm.Packed w, int g,
      float[] bias, float[] y, int yOff, int ldy) {
    int k = w.k();
    float[] bp = w.w();
    float[] tail = new float[L];
    for (int j0 = 0; j0 < w.mgPad(); j0 += NhwcGemm.PANEL) {
      int width = Math.min(NhwcGemm.PANEL, w.mgPad() - j0);
      int nv = width / L;
      int valid = Math.min(width, w.mg() - j0);
      int panel = g * k * w.mgPad() + j0 * k;
      int b0 = g * w.mg() + j0;
      int r = 0;
      for (; r + 4 <= rows; r += 4) {
        int ar = aOff + r * lda;
        Out out = new Out(y, yOff + r * ldy + j0, ldy, bias, b0, valid, tail);
        switch (nv) {
          case 4 -> tile4x4(a, ar, lda, k, bp, panel, out);
          case 3 -> tile4x3(a, ar, lda, k, bp, panel, out);
          case 2 -> tile4x2(a, ar, lda, k, bp, panel, out);
          default -> tile4x1(a, ar, lda, k, bp, panel, out);
        }
      }
      for (; r < rows; r++) {
        Out out = new Out(y, yOff + r * ldy + j0, ldy, bias, b0, valid, tail);
        int ar = aOff + r * lda;
        for (int v = 0; v < nv; v++) {
          FloatVector c = FloatVector.zero(S);
          for (int kk = 0, bo = panel + v * L; kk < k; kk++, bo += width) {
            c = c.add(FloatVector.broadcast(S, a[ar + kk]).mul(FloatVector.fromArray(S, bp, bo)));
          }
          out.put(0, v, c);
        }
      }
    }
  }

  /** Where a tile's rows go: {@code y} from {@code at}, row stride {@code ld}, plus the bias. */
  private record Out(float[] y, int at, int ld, float[] bias, int b0, int valid, float[] tail) {
    void put(int row, int v, FloatVector c) {
      int col = v * L;
      if (col >= valid) {
        return;
      }
      int dst = at + row * ld + col;
      if (col + L <= valid) {
        (bias == null ? c : c.add(FloatVector.fromArray(S, bias, b0 + col))).intoArray(y, dst);
        return;
      }
      c.intoArray(tail, 0);
      for (int i = 0; i < valid - col; i++) {
        y[dst + i] = bias == null ? tail[i] : tail[i] + bias[b0 + col + i];
      }
    }
  }

  private static void tile4x1(float[] a, int ar, int lda, int k, float[] bp, int panel,
      Out out) {
    FloatVector c0 = FloatVector.zero(S);
    FloatVector c1 = c0;
    FloatVector c2 = c0;
    FloatVector c3 = c0;
    for (int kk = 0, bo = panel; kk < k; kk++, bo += L) {
      FloatVector b = FloatVector.fromArray(S, bp, bo);
      int ai = ar + kk;
      c0 = c0.add(FloatVector.broadcast(S, a[ai]).mul(b));
      c1 = c1.add(FloatVector.broadcast(S, a[ai + lda]).mul(b));
      c2 = c2.add(FloatVector.broadcast(S, a[ai + 2 * lda]).mul(b));
      c3 = c3.add(FloatVector.broadcast(S, a[ai + 3 * lda]).mul(b));
    }
    out.put(0, 0, c0);
    out.put(1, 0, c1);
    out.put(2, 0, c2);
    out.put(3, 0, c3);
  }

  private static void tile4x2(float[] a, int ar, int lda, int k, float[] bp, int panel,
      Out out) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c30 = c00;
    FloatVector c31 = c00;
    for (int kk = 0, bo = panel; kk < k; kk++, bo += 2 * L) {
      FloatVector b0 = FloatVector.fromArray(S, bp, bo);
      FloatVector b1 = FloatVector.fromArray(S, bp, bo + L);
      int ai = ar + kk;
      FloatVector a0 = FloatVector.broadcast(S, a[ai]);
      c00 = c00.add(a0.mul(b0));
      c01 = c01.add(a0.mul(b1));
      FloatVector a1 = FloatVector.broadcast(S, a[ai + lda]);
      c10 = c10.add(a1.mul(b0));
      c11 = c11.add(a1.mul(b1));
      FloatVector a2 = FloatVector.broadcast(S, a[ai + 2 * lda]);
      c20 = c20.add(a2.mul(b0));
      c21 = c21.add(a2.mul(b1));
      FloatVector a3 = FloatVector.broadcast(S, a[ai + 3 * lda]);
      c30 = c30.add(a3.mul(b0));
      c31 = c31.add(a3.mul(b1));
    }
    out.put(0, 0, c00);
    out.put(0, 1, c01);
    out.put(1, 0, c10);
    out.put(1, 1, c11);
    out.put(2, 0, c20);
    out.put(2, 1, c21);
    out.put(3, 0, c30);
    out.put(3, 1, c31);
  }

  private static void tile4x3(float[] a, int ar, int lda, int k, float[] bp, int panel,
      Out out) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = c00;
    FloatVector c02 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c12 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c22 = c00;
    FloatVector c30 = c00;
    FloatVector c31 = c00;
    FloatVector c32 = c00;
    for (int kk = 0, bo = panel; kk < k; kk++, bo += 3 * L) {
      FloatVector b0 = FloatVector.fromArray(S, bp, bo);
      FloatVector b1 = FloatVector.fromArray(S, bp, bo + L);
      FloatVector b2 = FloatVector.fromArray(S, bp, bo + 2 * L);
      int ai = ar + kk;
      FloatVector a0 = FloatVector.broadcast(S, a[ai]);
      c00 = c00.add(a0.mul(b0));
      c01 = c01.add(a0.mul(b1));
      c02 = c02.add(a0.mul(b2));
      FloatVector a1 = FloatVector.broadcast(S, a[ai + lda]);
      c10 = c10.add(a1.mul(b0));
      c11 = c11.add(a1.mul(b1));
      c12 = c12.add(a1.mul(b2));
      FloatVector a2 = FloatVector.broadcast(S, a[ai + 2 * lda]);
      c20 = c20.add(a2.mul(b0));
      c21 = c21.add(a2.mul(b1));
      c22 = c22.add(a2.mul(b2));
      FloatVector a3 = FloatVector.broadcast(S, a[ai + 3 * lda]);
      c30 = c30.add(a3.mul(b0));
      c31 = c31.add(a3.mul(b1));
      c32 = c32.add(a3.mul(b2));
    }
    out.put(0, 0, c00);
    out.put(0, 1, c01);
    out.put(0, 2, c02);
    out.put(1, 0, c10);
    out.put(1, 1, c11);
    out.put(1, 2, c12);
    out.put(2, 0, c20);
    out.put(2, 1, c21);
    out.put(2, 2, c22);
    out.put(3, 0, c30);
    out.put(3, 1, c31);
    out.put(3, 2, c32);
  }

  private static void tile4x4(float[] a, int ar, int lda, int k, float[] bp, int panel,
      Out out) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = c00;
    FloatVector c02 = c00;
    FloatVector c03 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c12 = c00;
    FloatVector c13 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c22 = c00;
    FloatVector c23 = c00;
    FloatVector c30 = c00;
    FloatVector c31 = c00;
    FloatVector c32 = c00;
    FloatVector c33 = c00;
    for (int kk = 0, bo = panel; kk < k; kk++, bo += 4 * L) {
      FloatVector b0 = FloatVector.fromArray(S, bp, bo);
      FloatVector b1 = FloatVector.fromArray(S, bp, bo + L);
      FloatVector b2 = FloatVector.fromArray(S, bp, bo + 2 * L);
      FloatVector b3 = FloatVector.fromArray(S, bp, bo + 3 * L);
      int ai = ar + kk;
      FloatVector a0 = FloatVector.broadcast(S, a[ai]);
      c00 = c00.add(a0.mul(b0));
      c01 = c01.add(a0.mul(b1));
      c02 = c02.add(a0.mul(b2));
      c03 = c03.add(a0.mul(b3));
      FloatVector a1 = FloatVector.broadcast(S, a[ai + lda]);
      c10 = c10.add(a1.mul(b0));
      c11 = c11.add(a1.mul(b1));
      c12 = c12.add(a1.mul(b2));
      c13 = c13.add(a1.mul(b3));
      FloatVector a2 = FloatVector.broadcast(S, a[ai + 2 * lda]);
      c20 = c20.add(a2.mul(b0));
      c21 = c21.add(a2.mul(b1));
      c22 = c22.add(a2.mul(b2));
      c23 = c23.add(a2.mul(b3));
      FloatVector a3 = FloatVector.broadcast(S, a[ai + 3 * lda]);
      c30 = c30.add(a3.mul(b0));
      c31 = c31.add(a3.mul(b1));
      c32 = c32.add(a3.mul(b2));
      c33 = c33.add(a3.mul(b3));
    }
    out.put(0, 0, c00);
    out.put(0, 1, c01);
    out.put(0, 2, c02);
    out.put(0, 3, c03);
    out.put(1, 0, c10);
    out.put(1, 1, c11);
    out.put(1, 2, c12);
    out.put(1, 3, c13);
    out.put(2, 0, c20);
    out.put(2, 1, c21);
    out.put(2, 2, c22);
    out.put(2, 3, c23);
    out.put(3, 0, c30);
    out.put(3, 1, c31);
    out.put(3, 2, c32);
    out.put(3, 3, c33);
  }

  /** As {@link NhwcGemm#depthwisePixel}. */
  static void depthwisePixel(float[] x, int[] src, int taps, float[] w, float[] acc, float[] y,
      int dst, int c) {
    int j = 0;
    for (; j + L <= c; j += L) {
      FloatVector v = FloatVector.zero(S);
      for (int t = 0; t < taps; t++) {
        int s = src[t];
        if (s >= 0) {
          v = v.add(FloatVector.fromArray(S, w, t * c + j).mul(FloatVector.fromArray(S, x, s + j)));
        }
      }
      FloatVector.fromArray(S, y, dst + j).add(v).intoArray(y, dst + j);
    }
    for (; j < c; j++) {
      float v = 0f;
      for (int t = 0; t < taps; t++) {
        int s = src[t];
        if (s >= 0) {
          v = v + w[t * c + j] * x[s + j];
        }
      }
      y[dst + j] = y[dst + j] + v;
    }
  }

  /** As {@link NhwcGemm#maxInto}. */
  static void maxInto(float[] x, int s, float[] acc, int c) {
    int j = 0;
    for (; j + L <= c; j += L) {
      FloatVector v = FloatVector.fromArray(S, x, s + j);
      FloatVector m = FloatVector.fromArray(S, acc, j);
      m.blend(v, v.compare(VectorOperators.GT, m)).intoArray(acc, j);
    }
    for (; j < c; j++) {
      float v = x[s + j];
      acc[j] = v > acc[j] ? v : acc[j];
    }
  }
}
