package dev.convoy.ir.ops.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float product of {@link Blas#sgemm} with register blocking through the JDK's Vector API
 * ({@code jdk.incubator.vector}): a tile of C four rows by two vectors wide lives in registers
 * while the k loop runs, so every element of B loaded feeds four multiply-adds instead of the
 * one or two that the auto-vectorized loops of {@link Blas} manage. Operands are packed first:
 * a block of {@value #KC} rows of B into one contiguous zero-padded panel, four rows of A into
 * k-major order, and the four rows of C into a padded tile, so the kernel needs no masks.
 *
 * <p>Each element of C still receives {@code c + a * b} one k step at a time in plain k order,
 * as one fused multiply-add (as MLAS's kernels and the channels-last {@link NhwcGemm} do, so a
 * convolution sums the same way in both layouts), and the result equals {@link Blas}'s scalar
 * path, which uses {@link Math#fma}, bit for bit. The class links only when the JVM runs with
 * {@code --add-modules jdk.incubator.vector}; {@link Blas} checks that once and otherwise never
 * touches it.
 */
final class VectorGemm {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  /** Floats per vector. */
  static final int L = S.length();
  /** Rows of C per register tile. */
  private static final int MR = 4;
  /** Columns of C per register tile: two vectors. */
  private static final int NR = 2 * L;
  /** Columns of C per panel. */
  private static final int NC = 512;
  /** Rows of B per panel: {@code KC * NC} floats stay in L2. */
  private static final int KC = 128;
  private static final int CHUNKS_PER_THREAD = 4;

  private VectorGemm() {}

  /** As {@link Blas#sgemm(int, int, int, float[], int, int, int, float[], int, int, float[], int, int, Parallel)}. */
  static void sgemm(int m, int n, int k, float[] a, int aOff, int lda, int ska, float[] b,
      int bOff, int ldb, float[] c, int cOff, int ldc, Parallel par) {
    int panels = (n + NC - 1) / NC;
    int want = par.threads() <= 1 ? 1 : par.threads() * CHUNKS_PER_THREAD;
    int rowSplits = Math.max(1, Math.min((m + MR - 1) / MR, (want + panels - 1) / panels));
    int rowsPerTask = ((m + rowSplits - 1) / rowSplits + MR - 1) / MR * MR;
    int rowTasks = (m + rowsPerTask - 1) / rowsPerTask;
    long workPerTask = (long) Math.min(m, rowsPerTask) * Math.min(n, NC) * k;
    par.forRange(panels * rowTasks, workPerTask, (from, to) -> {
      Scratch scratch = Scratch.get();
      float[] bp = scratch.packedB(KC * ((NC + NR - 1) / NR * NR));
      float[] ap = scratch.packedA(KC * MR);
      float[] ct = scratch.cTile(MR * ((NC + NR - 1) / NR * NR));
      for (int t = from; t < to; t++) {
        int j0 = (t / rowTasks) * NC;
        int i0 = (t % rowTasks) * rowsPerTask;
        int i1 = Math.min(m, i0 + rowsPerTask);
        int wt = Math.min(n, j0 + NC) - j0;
        int wp = (wt + NR - 1) / NR * NR;
        for (int k0 = 0; k0 < k; k0 += KC) {
          int kl = Math.min(KC, k - k0);
          for (int kk = 0; kk < kl; kk++) {
            int dst = kk * wp;
            System.arraycopy(b, bOff + (k0 + kk) * ldb + j0, bp, dst, wt);
            java.util.Arrays.fill(bp, dst + wt, dst + wp, 0f);
          }
          for (int i = i0; i < i1; i += MR) {
            int rows = Math.min(MR, i1 - i);
            int aRow = aOff + i * lda + k0 * ska;
            for (int r = 0; r < MR; r++) {
              int ct0 = r * wp;
              if (r < rows) {
                int ar = aRow + r * lda;
                for (int kk = 0; kk < kl; kk++) {
                  ap[kk * MR + r] = a[ar + kk * ska];
                }
                System.arraycopy(c, cOff + (i + r) * ldc + j0, ct, ct0, wt);
              } else {
                for (int kk = 0; kk < kl; kk++) {
                  ap[kk * MR + r] = 0f;
                }
                java.util.Arrays.fill(ct, ct0, ct0 + wt, 0f);
              }
              java.util.Arrays.fill(ct, ct0 + wt, ct0 + wp, 0f);
            }
            if (rows == 1) {
              kernel1(ap, bp, kl, wp, ct);
            } else {
              kernel4(ap, bp, kl, wp, ct);
            }
            for (int r = 0; r < rows; r++) {
              System.arraycopy(ct, r * wp, c, cOff + (i + r) * ldc + j0, wt);
            }
          }
        }
      }
    });
  }

  /**
   * Columns {@code [j0, j1)} of {@link Blas#fewRows} in blocks of four vectors, then one vector:
   * each row's accumulators stay in registers while the k loop walks down B's columns. Returns
   * the first column left for the scalar loop (fewer than a vector remain).
   */
  static int fewRows(int m, int n, int k, float[] a, int aOff, float[] b, int bOff, float[] c,
      int cOff, int j0, int j1) {
    int j = j0;
    for (; j + 4 * L <= j1; j += 4 * L) {
      for (int i = 0; i < m; i++) {
        int ar = aOff + i * k;
        FloatVector c0 = FloatVector.zero(S);
        FloatVector c1 = c0;
        FloatVector c2 = c0;
        FloatVector c3 = c0;
        for (int kk = 0, bo = bOff + j; kk < k; kk++, bo += n) {
          FloatVector av = FloatVector.broadcast(S, a[ar + kk]);
          c0 = av.fma(FloatVector.fromArray(S, b, bo), c0);
          c1 = av.fma(FloatVector.fromArray(S, b, bo + L), c1);
          c2 = av.fma(FloatVector.fromArray(S, b, bo + 2 * L), c2);
          c3 = av.fma(FloatVector.fromArray(S, b, bo + 3 * L), c3);
        }
        int cr = cOff + i * n + j;
        c0.intoArray(c, cr);
        c1.intoArray(c, cr + L);
        c2.intoArray(c, cr + 2 * L);
        c3.intoArray(c, cr + 3 * L);
      }
    }
    for (; j + L <= j1; j += L) {
      for (int i = 0; i < m; i++) {
        int ar = aOff + i * k;
        FloatVector c0 = FloatVector.zero(S);
        for (int kk = 0, bo = bOff + j; kk < k; kk++, bo += n) {
          c0 = FloatVector.broadcast(S, a[ar + kk]).fma(FloatVector.fromArray(S, b, bo), c0);
        }
        c0.intoArray(c, cOff + i * n + j);
      }
    }
    return j;
  }

  /** Four padded rows of {@code ct} (row stride {@code wp}) += the packed A rows times the panel. */
  private static void kernel4(float[] ap, float[] bp, int kl, int wp, float[] ct) {
    for (int jv = 0; jv < wp; jv += NR) {
      FloatVector c00 = FloatVector.fromArray(S, ct, jv);
      FloatVector c01 = FloatVector.fromArray(S, ct, jv + L);
      FloatVector c10 = FloatVector.fromArray(S, ct, wp + jv);
      FloatVector c11 = FloatVector.fromArray(S, ct, wp + jv + L);
      FloatVector c20 = FloatVector.fromArray(S, ct, 2 * wp + jv);
      FloatVector c21 = FloatVector.fromArray(S, ct, 2 * wp + jv + L);
      FloatVector c30 = FloatVector.fromArray(S, ct, 3 * wp + jv);
      FloatVector c31 = FloatVector.fromArray(S, ct, 3 * wp + jv + L);
      for (int kk = 0, bo = jv, ao = 0; kk < kl; kk++, bo += wp, ao += MR) {
        FloatVector b0 = FloatVector.fromArray(S, bp, bo);
        FloatVector b1 = FloatVector.fromArray(S, bp, bo + L);
        FloatVector a0 = FloatVector.broadcast(S, ap[ao]);
        c00 = a0.fma(b0, c00);
        c01 = a0.fma(b1, c01);
        FloatVector a1 = FloatVector.broadcast(S, ap[ao + 1]);
        c10 = a1.fma(b0, c10);
        c11 = a1.fma(b1, c11);
        FloatVector a2 = FloatVector.broadcast(S, ap[ao + 2]);
        c20 = a2.fma(b0, c20);
        c21 = a2.fma(b1, c21);
        FloatVector a3 = FloatVector.broadcast(S, ap[ao + 3]);
        c30 = a3.fma(b0, c30);
        c31 = a3.fma(b1, c31);
      }
      c00.intoArray(ct, jv);
      c01.intoArray(ct, jv + L);
      c10.intoArray(ct, wp + jv);
      c11.intoArray(ct, wp + jv + L);
      c20.intoArray(ct, 2 * wp + jv);
      c21.intoArray(ct, 2 * wp + jv + L);
      c30.intoArray(ct, 3 * wp + jv);
      c31.intoArray(ct, 3 * wp + jv + L);
    }
  }

  /** The first padded row of {@code ct} += the first packed A row times the panel. */
  private static void kernel1(float[] ap, float[] bp, int kl, int wp, float[] ct) {
    for (int jv = 0; jv < wp; jv += NR) {
      FloatVector c00 = FloatVector.fromArray(S, ct, jv);
      FloatVector c01 = FloatVector.fromArray(S, ct, jv + L);
      for (int kk = 0, bo = jv, ao = 0; kk < kl; kk++, bo += wp, ao += MR) {
        FloatVector a0 = FloatVector.broadcast(S, ap[ao]);
        c00 = a0.fma(FloatVector.fromArray(S, bp, bo), c00);
        c01 = a0.fma(FloatVector.fromArray(S, bp, bo + L), c01);
      }
      c00.intoArray(ct, jv);
      c01.intoArray(ct, jv + L);
    }
  }
}
