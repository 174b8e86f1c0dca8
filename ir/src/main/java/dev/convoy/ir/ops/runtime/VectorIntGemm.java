package dev.convoy.ir.ops.runtime;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * One exact block of {@link IntGemm} through the JDK's Vector API: a tile of C eight rows (two
 * passes of four where vectors are narrower than 512 bits) by one panel ({@link IntGemm#PANEL}
 * columns) held in registers for up to {@link IntGemm#KB} k steps of fused multiply-adds. Every partial sum is an integer below 2^24, so fusing or reordering
 * changes nothing and the tile equals {@link IntGemm#scalarBlock}'s exactly. The class links only
 * when the JVM runs with {@code --add-modules jdk.incubator.vector}; {@link IntGemm} checks that
 * once and otherwise never touches it.
 */
final class VectorIntGemm {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  private static final int MR = IntGemm.MR;
  private static final int PANEL = IntGemm.PANEL;
  /** Whether vectors are 512-bit, so that {@link #block8}'s tile stays in registers. */
  private static final boolean WIDE_REGISTERS = L >= 16;

  private VectorIntGemm() {}

  /** Whether a panel of {@code pw} columns is a whole number of vector pairs. */
  static boolean fits(int pw) {
    return L >= 4 && pw % (2 * L) == 0;
  }

  /** As {@link IntGemm#scalarBlock}. */
  static void block(float[] ap, int ao, float[] bp, int bo, int kl, int rows, float[] ft) {
    if (rows == 1) {
      block1(ap, ao, bp, bo, kl, ft);
    } else if (rows <= 4) {
      block4(ap, ao, bp, bo, kl, ft);
    } else if (WIDE_REGISTERS) {
      block8(ap, ao, bp, bo, kl, ft);
    } else {
      block4(ap, ao, bp, bo, kl, ft, 0);
      block4(ap, ao + 4, bp, bo, kl, ft, 4);
    }
  }

  /**
   * The whole tile at once, for 512-bit vectors (AVX-512 has 32 of them: sixteen accumulators,
   * two of B and a broadcast fit): every B vector loaded feeds eight multiply-adds.
   */
  private static void block8(float[] ap, int ao, float[] bp, int bo, int kl, float[] ft) {
    for (int jv = 0; jv < PANEL; jv += 2 * L) {
      FloatVector c00 = FloatVector.zero(S);
      FloatVector c01 = FloatVector.zero(S);
      FloatVector c10 = FloatVector.zero(S);
      FloatVector c11 = FloatVector.zero(S);
      FloatVector c20 = FloatVector.zero(S);
      FloatVector c21 = FloatVector.zero(S);
      FloatVector c30 = FloatVector.zero(S);
      FloatVector c31 = FloatVector.zero(S);
      FloatVector c40 = FloatVector.zero(S);
      FloatVector c41 = FloatVector.zero(S);
      FloatVector c50 = FloatVector.zero(S);
      FloatVector c51 = FloatVector.zero(S);
      FloatVector c60 = FloatVector.zero(S);
      FloatVector c61 = FloatVector.zero(S);
      FloatVector c70 = FloatVector.zero(S);
      FloatVector c71 = FloatVector.zero(S);
      for (int kk = 0, b = bo + jv, a = ao; kk < kl; kk++, b += PANEL, a += MR) {
        FloatVector b0 = FloatVector.fromArray(S, bp, b);
        FloatVector b1 = FloatVector.fromArray(S, bp, b + L);
        FloatVector a0 = FloatVector.broadcast(S, ap[a]);
        c00 = a0.fma(b0, c00);
        c01 = a0.fma(b1, c01);
        FloatVector a1 = FloatVector.broadcast(S, ap[a + 1]);
        c10 = a1.fma(b0, c10);
        c11 = a1.fma(b1, c11);
        FloatVector a2 = FloatVector.broadcast(S, ap[a + 2]);
        c20 = a2.fma(b0, c20);
        c21 = a2.fma(b1, c21);
        FloatVector a3 = FloatVector.broadcast(S, ap[a + 3]);
        c30 = a3.fma(b0, c30);
        c31 = a3.fma(b1, c31);
        FloatVector a4 = FloatVector.broadcast(S, ap[a + 4]);
        c40 = a4.fma(b0, c40);
        c41 = a4.fma(b1, c41);
        FloatVector a5 = FloatVector.broadcast(S, ap[a + 5]);
        c50 = a5.fma(b0, c50);
        c51 = a5.fma(b1, c51);
        FloatVector a6 = FloatVector.broadcast(S, ap[a + 6]);
        c60 = a6.fma(b0, c60);
        c61 = a6.fma(b1, c61);
        FloatVector a7 = FloatVector.broadcast(S, ap[a + 7]);
        c70 = a7.fma(b0, c70);
        c71 = a7.fma(b1, c71);
      }
      c00.intoArray(ft, jv);
      c01.intoArray(ft, jv + L);
      c10.intoArray(ft, PANEL + jv);
      c11.intoArray(ft, PANEL + jv + L);
      c20.intoArray(ft, 2 * PANEL + jv);
      c21.intoArray(ft, 2 * PANEL + jv + L);
      c30.intoArray(ft, 3 * PANEL + jv);
      c31.intoArray(ft, 3 * PANEL + jv + L);
      c40.intoArray(ft, 4 * PANEL + jv);
      c41.intoArray(ft, 4 * PANEL + jv + L);
      c50.intoArray(ft, 5 * PANEL + jv);
      c51.intoArray(ft, 5 * PANEL + jv + L);
      c60.intoArray(ft, 6 * PANEL + jv);
      c61.intoArray(ft, 6 * PANEL + jv + L);
      c70.intoArray(ft, 7 * PANEL + jv);
      c71.intoArray(ft, 7 * PANEL + jv + L);
    }
  }

  /** Rows 0-3 of the tile. */
  private static void block4(float[] ap, int ao, float[] bp, int bo, int kl, float[] ft) {
    java.util.Arrays.fill(ft, 4 * PANEL, MR * PANEL, 0f);
    block4(ap, ao, bp, bo, kl, ft, 0);
  }

  /** Rows {@code r0 .. r0 + 3} of the tile from A's rows at {@code ao} (stride {@value #MR}). */
  private static void block4(float[] ap, int ao, float[] bp, int bo, int kl, float[] ft,
      int r0) {
    int f = r0 * PANEL;
    for (int jv = 0; jv < PANEL; jv += 2 * L) {
      FloatVector c00 = FloatVector.zero(S);
      FloatVector c01 = FloatVector.zero(S);
      FloatVector c10 = FloatVector.zero(S);
      FloatVector c11 = FloatVector.zero(S);
      FloatVector c20 = FloatVector.zero(S);
      FloatVector c21 = FloatVector.zero(S);
      FloatVector c30 = FloatVector.zero(S);
      FloatVector c31 = FloatVector.zero(S);
      for (int kk = 0, b = bo + jv, a = ao; kk < kl; kk++, b += PANEL, a += MR) {
        FloatVector b0 = FloatVector.fromArray(S, bp, b);
        FloatVector b1 = FloatVector.fromArray(S, bp, b + L);
        FloatVector a0 = FloatVector.broadcast(S, ap[a]);
        c00 = a0.fma(b0, c00);
        c01 = a0.fma(b1, c01);
        FloatVector a1 = FloatVector.broadcast(S, ap[a + 1]);
        c10 = a1.fma(b0, c10);
        c11 = a1.fma(b1, c11);
        FloatVector a2 = FloatVector.broadcast(S, ap[a + 2]);
        c20 = a2.fma(b0, c20);
        c21 = a2.fma(b1, c21);
        FloatVector a3 = FloatVector.broadcast(S, ap[a + 3]);
        c30 = a3.fma(b0, c30);
        c31 = a3.fma(b1, c31);
      }
      c00.intoArray(ft, f + jv);
      c01.intoArray(ft, f + jv + L);
      c10.intoArray(ft, f + PANEL + jv);
      c11.intoArray(ft, f + PANEL + jv + L);
      c20.intoArray(ft, f + 2 * PANEL + jv);
      c21.intoArray(ft, f + 2 * PANEL + jv + L);
      c30.intoArray(ft, f + 3 * PANEL + jv);
      c31.intoArray(ft, f + 3 * PANEL + jv + L);
    }
  }

  /** The first row of the tile; the other rows zero (their A rows are padding). */
  private static void block1(float[] ap, int ao, float[] bp, int bo, int kl, float[] ft) {
    java.util.Arrays.fill(ft, PANEL, MR * PANEL, 0f);
    for (int jv = 0; jv < PANEL; jv += 2 * L) {
      FloatVector c00 = FloatVector.zero(S);
      FloatVector c01 = FloatVector.zero(S);
      for (int kk = 0, b = bo + jv, a = ao; kk < kl; kk++, b += PANEL, a += MR) {
        FloatVector a0 = FloatVector.broadcast(S, ap[a]);
        c00 = a0.fma(FloatVector.fromArray(S, bp, b), c00);
        c01 = a0.fma(FloatVector.fromArray(S, bp, b + L), c01);
      }
      c00.intoArray(ft, jv);
      c01.intoArray(ft, jv + L);
    }
  }

  private static final VectorSpecies<Byte> NB = ByteVector.SPECIES_128;
  private static final int NARROW = IntGemm.NARROW;

  /** Whether a byte panel row ({@link IntGemm#NARROW} bytes) widens to exactly two vectors. */
  static boolean narrowFits() {
    return 2 * L == NARROW;
  }

  /**
   * The tile {@code ft} ({@link IntGemm#NARROW_MR} rows of {@link IntGemm#NARROW} columns) =
   * {@code kl} k steps of A packed {@link IntGemm#NARROW_MR} rows per step (from {@code ao}, rows
   * past {@code rows} zero) times the byte panel from {@code bo}, each pair of B vectors widened
   * to floats once for every row of A.
   */
  static void narrowBlock(float[] ap, int ao, byte[] bp, int bo, int kl, int rows, float[] ft) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = FloatVector.zero(S);
    FloatVector c10 = FloatVector.zero(S);
    FloatVector c11 = FloatVector.zero(S);
    FloatVector c20 = FloatVector.zero(S);
    FloatVector c21 = FloatVector.zero(S);
    FloatVector c30 = FloatVector.zero(S);
    FloatVector c31 = FloatVector.zero(S);
    FloatVector c40 = FloatVector.zero(S);
    FloatVector c41 = FloatVector.zero(S);
    FloatVector c50 = FloatVector.zero(S);
    FloatVector c51 = FloatVector.zero(S);
    FloatVector c60 = FloatVector.zero(S);
    FloatVector c61 = FloatVector.zero(S);
    FloatVector c70 = FloatVector.zero(S);
    FloatVector c71 = FloatVector.zero(S);
    for (int kk = 0, b = bo, a = ao; kk < kl; kk++, b += NARROW, a += MR) {
      FloatVector b0 = widen(bp, b);
      FloatVector b1 = widen(bp, b + L);
      FloatVector a0 = FloatVector.broadcast(S, ap[a]);
      c00 = a0.fma(b0, c00);
      c01 = a0.fma(b1, c01);
      FloatVector a1 = FloatVector.broadcast(S, ap[a + 1]);
      c10 = a1.fma(b0, c10);
      c11 = a1.fma(b1, c11);
      FloatVector a2 = FloatVector.broadcast(S, ap[a + 2]);
      c20 = a2.fma(b0, c20);
      c21 = a2.fma(b1, c21);
      FloatVector a3 = FloatVector.broadcast(S, ap[a + 3]);
      c30 = a3.fma(b0, c30);
      c31 = a3.fma(b1, c31);
      FloatVector a4 = FloatVector.broadcast(S, ap[a + 4]);
      c40 = a4.fma(b0, c40);
      c41 = a4.fma(b1, c41);
      FloatVector a5 = FloatVector.broadcast(S, ap[a + 5]);
      c50 = a5.fma(b0, c50);
      c51 = a5.fma(b1, c51);
      FloatVector a6 = FloatVector.broadcast(S, ap[a + 6]);
      c60 = a6.fma(b0, c60);
      c61 = a6.fma(b1, c61);
      FloatVector a7 = FloatVector.broadcast(S, ap[a + 7]);
      c70 = a7.fma(b0, c70);
      c71 = a7.fma(b1, c71);
    }
    c00.intoArray(ft, 0);
    c01.intoArray(ft, L);
    c10.intoArray(ft, NARROW);
    c11.intoArray(ft, NARROW + L);
    c20.intoArray(ft, 2 * NARROW);
    c21.intoArray(ft, 2 * NARROW + L);
    c30.intoArray(ft, 3 * NARROW);
    c31.intoArray(ft, 3 * NARROW + L);
    c40.intoArray(ft, 4 * NARROW);
    c41.intoArray(ft, 4 * NARROW + L);
    c50.intoArray(ft, 5 * NARROW);
    c51.intoArray(ft, 5 * NARROW + L);
    c60.intoArray(ft, 6 * NARROW);
    c61.intoArray(ft, 6 * NARROW + L);
    c70.intoArray(ft, 7 * NARROW);
    c71.intoArray(ft, 7 * NARROW + L);
  }

  private static FloatVector widen(byte[] bp, int b) {
    return (FloatVector) ByteVector.fromArray(NB, bp, b).convertShape(VectorOperators.B2F, S, 0);
  }
}
