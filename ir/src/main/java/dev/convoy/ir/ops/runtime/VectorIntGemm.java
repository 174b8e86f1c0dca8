package dev.convoy.ir.ops.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * One exact block of {@link IntGemm} through the JDK's Vector API: a tile of C four rows by one
 * panel ({@link IntGemm#PW} columns) held in registers for up to {@link IntGemm#KB} k steps of
 * fused multiply-adds. Every partial sum is an integer below 2^24, so fusing or reordering
 * changes nothing and the tile equals {@link IntGemm#scalarBlock}'s exactly. The class links only
 * when the JVM runs with {@code --add-modules jdk.incubator.vector}; {@link IntGemm} checks that
 * once and otherwise never touches it.
 */
final class VectorIntGemm {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  private static final int MR = IntGemm.MR;
  private static final int PW = IntGemm.PW;

  private VectorIntGemm() {}

  /** Whether a panel of {@code pw} columns is a whole number of vector pairs. */
  static boolean fits(int pw) {
    return L >= 4 && pw % (2 * L) == 0;
  }

  /** As {@link IntGemm#scalarBlock}. */
  static void block(float[] ap, int ao, float[] bp, int bo, int kl, int rows, float[] ft) {
    if (rows == 1) {
      block1(ap, ao, bp, bo, kl, ft);
      return;
    }
    for (int jv = 0; jv < PW; jv += 2 * L) {
      FloatVector c00 = FloatVector.zero(S);
      FloatVector c01 = FloatVector.zero(S);
      FloatVector c10 = FloatVector.zero(S);
      FloatVector c11 = FloatVector.zero(S);
      FloatVector c20 = FloatVector.zero(S);
      FloatVector c21 = FloatVector.zero(S);
      FloatVector c30 = FloatVector.zero(S);
      FloatVector c31 = FloatVector.zero(S);
      for (int kk = 0, b = bo + jv, a = ao; kk < kl; kk++, b += PW, a += MR) {
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
      c00.intoArray(ft, jv);
      c01.intoArray(ft, jv + L);
      c10.intoArray(ft, PW + jv);
      c11.intoArray(ft, PW + jv + L);
      c20.intoArray(ft, 2 * PW + jv);
      c21.intoArray(ft, 2 * PW + jv + L);
      c30.intoArray(ft, 3 * PW + jv);
      c31.intoArray(ft, 3 * PW + jv + L);
    }
  }

  /** The first row of the tile; the other rows zero (their A rows are padding). */
  private static void block1(float[] ap, int ao, float[] bp, int bo, int kl, float[] ft) {
    java.util.Arrays.fill(ft, PW, MR * PW, 0f);
    for (int jv = 0; jv < PW; jv += 2 * L) {
      FloatVector c00 = FloatVector.zero(S);
      FloatVector c01 = FloatVector.zero(S);
      for (int kk = 0, b = bo + jv, a = ao; kk < kl; kk++, b += PW, a += MR) {
        FloatVector a0 = FloatVector.broadcast(S, ap[a]);
        c00 = a0.fma(FloatVector.fromArray(S, bp, b), c00);
        c01 = a0.fma(FloatVector.fromArray(S, bp, b + L), c01);
      }
      c00.intoArray(ft, jv);
      c01.intoArray(ft, jv + L);
    }
  }
}
