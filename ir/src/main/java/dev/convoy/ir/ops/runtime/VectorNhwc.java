package dev.convoy.ir.ops.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link NhwcGemm}'s kernels on the JDK's Vector API with the preferred species, the one {@link
 * VectorGemm} uses (a second float species in the same hot library code made both fall off their
 * intrinsics, 8x slower); the packed layout's vectors are this length, so a panel needs no masks.
 * A register tile of four pixels by one to four vectors of output channels, accumulated in k
 * order with a multiply then an add, equal bit for bit to the scalar loops. Loaded only when
 * {@link Blas#vectorized()} holds.
 */
final class VectorNhwc {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  /** Rows (pixels) per register tile. */
  private static final int TILE_ROWS = 4;
  /** Output channels per panel, {@link NhwcGemm#PANEL}: four vectors. */
  private static final int P = 4 * L;

  private VectorNhwc() {}

  static int lanes() {
    return L;
  }

  /**
   * As {@link NhwcGemm#multiply}. A register tile is stored whole into the zero-padded tile
   * {@code ct} ({@value #TILE_ROWS} rows of one panel) and the epilogue moves its valid columns,
   * plus the bias, into y: no vector crosses a method boundary and the kernels have no branches,
   * so C2 keeps them intrinsified (a helper taking vectors boxed them whenever it was not inlined).
   */
  static void multiply(int rows, float[] a, int aOff, int lda, NhwcGemm.Packed w, int g,
      float[] bias, float[] y, int yOff, int ldy) {
    int k = w.k();
    float[] bp = w.w();
    float[] ct = new float[TILE_ROWS * P];
    for (int j0 = 0; j0 < w.mgPad(); j0 += P) {
      int width = Math.min(P, w.mgPad() - j0);
      int nv = width / L;
      int valid = Math.min(width, w.mg() - j0);
      int panel = g * k * w.mgPad() + j0 * k;
      int b0 = g * w.mg() + j0;
      for (int r = 0; r < rows; r += TILE_ROWS) {
        int tr = Math.min(TILE_ROWS, rows - r);
        int ar = aOff + r * lda;
        if (tr < TILE_ROWS) {
          tail(a, ar, lda, tr, k, bp, panel, nv, ct);
        } else if (nv == 4) {
          tile4x4(a, ar, lda, k, bp, panel, ct);
        } else if (nv == 3) {
          tile4x3(a, ar, lda, k, bp, panel, ct);
        } else if (nv == 2) {
          tile4x2(a, ar, lda, k, bp, panel, ct);
        } else {
          tile4x1(a, ar, lda, k, bp, panel, ct);
        }
        for (int i = 0; i < tr; i++) {
          int src = i * P;
          int dst = yOff + (r + i) * ldy + j0;
          int j = 0;
          for (; j + L <= valid; j += L) {
            FloatVector c = FloatVector.fromArray(S, ct, src + j);
            if (bias != null) {
              c = c.add(FloatVector.fromArray(S, bias, b0 + j));
            }
            c.intoArray(y, dst + j);
          }
          for (; j < valid; j++) {
            y[dst + j] = bias == null ? ct[src + j] : ct[src + j] + bias[b0 + j];
          }
        }
      }
    }
  }

  /** Fewer than {@value #TILE_ROWS} rows: one row and one vector at a time into {@code ct}. */
  private static void tail(float[] a, int ar, int lda, int rows, int k, float[] bp, int panel,
      int nv, float[] ct) {
    int width = nv * L;
    for (int i = 0; i < rows; i++) {
      for (int v = 0; v < nv; v++) {
        FloatVector c = FloatVector.zero(S);
        for (int kk = 0, bo = panel + v * L; kk < k; kk++, bo += width) {
          c = c.add(FloatVector.broadcast(S, a[ar + i * lda + kk])
              .mul(FloatVector.fromArray(S, bp, bo)));
        }
        c.intoArray(ct, i * P + v * L);
      }
    }
  }

  private static void tile4x1(float[] a, int ar, int lda, int k, float[] bp, int panel,
      float[] ct) {
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
    c0.intoArray(ct, 0);
    c1.intoArray(ct, P);
    c2.intoArray(ct, 2 * P);
    c3.intoArray(ct, 3 * P);
  }

  private static void tile4x2(float[] a, int ar, int lda, int k, float[] bp, int panel,
      float[] ct) {
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
    c00.intoArray(ct, 0);
    c01.intoArray(ct, L);
    c10.intoArray(ct, P);
    c11.intoArray(ct, P + L);
    c20.intoArray(ct, 2 * P);
    c21.intoArray(ct, 2 * P + L);
    c30.intoArray(ct, 3 * P);
    c31.intoArray(ct, 3 * P + L);
  }

  private static void tile4x3(float[] a, int ar, int lda, int k, float[] bp, int panel,
      float[] ct) {
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
    c00.intoArray(ct, 0);
    c01.intoArray(ct, L);
    c02.intoArray(ct, 2 * L);
    c10.intoArray(ct, P);
    c11.intoArray(ct, P + L);
    c12.intoArray(ct, P + 2 * L);
    c20.intoArray(ct, 2 * P);
    c21.intoArray(ct, 2 * P + L);
    c22.intoArray(ct, 2 * P + 2 * L);
    c30.intoArray(ct, 3 * P);
    c31.intoArray(ct, 3 * P + L);
    c32.intoArray(ct, 3 * P + 2 * L);
  }

  private static void tile4x4(float[] a, int ar, int lda, int k, float[] bp, int panel,
      float[] ct) {
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
    c00.intoArray(ct, 0);
    c01.intoArray(ct, L);
    c02.intoArray(ct, 2 * L);
    c03.intoArray(ct, 3 * L);
    c10.intoArray(ct, P);
    c11.intoArray(ct, P + L);
    c12.intoArray(ct, P + 2 * L);
    c13.intoArray(ct, P + 3 * L);
    c20.intoArray(ct, 2 * P);
    c21.intoArray(ct, 2 * P + L);
    c22.intoArray(ct, 2 * P + 2 * L);
    c23.intoArray(ct, 2 * P + 3 * L);
    c30.intoArray(ct, 3 * P);
    c31.intoArray(ct, 3 * P + L);
    c32.intoArray(ct, 3 * P + 2 * L);
    c33.intoArray(ct, 3 * P + 3 * L);
  }
}
