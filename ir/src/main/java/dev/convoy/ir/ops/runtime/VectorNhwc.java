package dev.convoy.ir.ops.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link NhwcGemm}'s kernels on the JDK's Vector API with the preferred species, the one {@link
 * VectorGemm} uses (a second float species in the same hot library code made both fall off their
 * intrinsics, 8x slower); the packed layout's vectors are this length, so a panel needs no masks.
 * A register tile of four (or eight) pixels by one to four vectors of output channels, accumulated
 * in k order with a fused multiply-add, equal bit for bit to the scalar loops. Loaded only when
 * {@link Blas#vectorized()} holds.
 */
final class VectorNhwc {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();
  /** Rows (pixels) per register tile. */
  private static final int TILE_ROWS = 4;
  /**
   * Rows per tile of a one- or two-vector panel: 16 accumulators, which only a machine with 32
   * vector registers (AVX-512, where the preferred species has 16 floats) holds with the panel's
   * vectors and the broadcast.
   */
  private static final int TALL_ROWS = 8;
  private static final boolean TALL = L >= 16;
  /** Output channels per panel, {@link NhwcGemm#PANEL}: four vectors. */
  private static final int P = 4 * L;
  /** The bias of a product without one, and of tiles stored into the padded tile. */
  private static final float[] NO_BIAS = new float[P];

  private VectorNhwc() {}

  static int lanes() {
    return L;
  }

  /**
   * As {@link NhwcGemm#multiply}. A register tile of a whole panel (every column an output
   * channel) is stored, plus the bias, straight into y; one of a partial panel (its last vector
   * zero-padded) whole into the tile {@code ct} (up to {@value #TALL_ROWS} rows), from which the
   * epilogue moves its valid columns, plus the bias, into y (the round trip through ct was a
   * fifth of a short product's time, as a pointwise convolution over 16-24 input channels). No
   * vector crosses a method boundary and the kernels
   * have no branches, so C2 keeps them intrinsified (a helper taking vectors boxed them whenever it
   * was not inlined). Panels of one or two vectors take {@value #TALL_ROWS} rows per tile where the
   * machine has the registers for it: four rows give them only four or eight independent
   * accumulators, fewer than the fused multiply-add's latency times its throughput, so the
   * narrow panels (16-32 output channels) ran at two thirds of the wide ones' speed.
   */
  static void multiply(int rows, float[] a, int aOff, int lda, NhwcGemm.Packed w, int g,
      float[] bias, float[] y, int yOff, int ldy) {
    int k = w.k();
    float[] bp = w.w();
    float[] ct = Scratch.get().cTile((TALL_ROWS + 1) * P);
    for (int j0 = 0; j0 < w.mgPad(); j0 += P) {
      int width = Math.min(P, w.mgPad() - j0);
      int nv = width / L;
      int valid = Math.min(width, w.mg() - j0);
      int panel = g * k * w.mgPad() + j0 * k;
      int b0 = g * w.mg() + j0;
      // A whole panel goes straight into y with its bias added in registers (no bias: zeros, and
      // a sum that starts from +0 is never -0, so adding +0 changes no bit); a partial one (its
      // last vector zero-padded) through ct and store.
      boolean whole = valid == width;
      float[] out = whole ? y : ct;
      int ldo = whole ? ldy : P;
      float[] bz = whole && bias != null ? bias : NO_BIAS;
      int bi = whole && bias != null ? b0 : 0;
      int r = 0;
      if (TALL && nv <= 2) {
        r = rows / TALL_ROWS * TALL_ROWS;
        tall(r, rows, a, aOff, lda, Scratch.get().identity(k), w, g, j0, bias, y, yOff, ldy, ct);
      }
      for (; r < rows; r += TILE_ROWS) {
        int tr = Math.min(TILE_ROWS, rows - r);
        int ar = aOff + r * lda;
        int o0 = whole ? yOff + r * ldy + j0 : 0;
        if (tr < TILE_ROWS) {
          tail(a, ar, lda, tr, k, bp, panel, nv, ct);
          store(ct, tr, valid, bias, b0, y, yOff + r * ldy + j0, ldy);
          continue;
        }
        if (nv == 4) {
          tile4x4(a, ar, lda, k, bp, panel, out, o0, ldo, bz, bi);
        } else if (nv == 3) {
          tile4x3(a, ar, lda, k, bp, panel, out, o0, ldo, bz, bi);
        } else if (nv == 2) {
          tile4x2(a, ar, lda, k, bp, panel, out, o0, ldo, bz, bi);
        } else {
          tile4x1(a, ar, lda, k, bp, panel, out, o0, ldo, bz, bi);
        }
        if (!whole) {
          store(ct, tr, valid, bias, b0, y, yOff + r * ldy + j0, ldy);
        }
      }
    }
  }

  /**
   * Rows {@code [0, rows)} of the tile {@code ct}, their first {@code valid} columns plus bias.
   * Columns past the last whole vector are stored as the vector ending at {@code valid} (its
   * overlap with the previous vector is the same sums again) when there is one, else one by one.
   */
  private static void store(float[] ct, int rows, int valid, float[] bias, int b0, float[] y,
      int dst0, int ldy) {
    int whole = valid / L * L;
    int last = valid >= L && whole < valid ? valid - L : -1;
    for (int i = 0; i < rows; i++) {
      int src = i * P;
      int dst = dst0 + i * ldy;
      int j = 0;
      for (; j < whole; j += L) {
        FloatVector c = FloatVector.fromArray(S, ct, src + j);
        if (bias != null) {
          c = c.add(FloatVector.fromArray(S, bias, b0 + j));
        }
        c.intoArray(y, dst + j);
      }
      if (last >= 0) {
        FloatVector c = FloatVector.fromArray(S, ct, src + last);
        if (bias != null) {
          c = c.add(FloatVector.fromArray(S, bias, b0 + last));
        }
        c.intoArray(y, dst + last);
        continue;
      }
      for (; j < valid; j++) {
        y[dst + j] = bias == null ? ct[src + j] : ct[src + j] + bias[b0 + j];
      }
    }
  }

  /**
   * Whether a tall tile of a partial panel may store its whole vectors straight into y: the
   * padded columns past the panel's valid ones then land on the next row's first columns, which
   * a later tile of the same call writes over. True only where those are the next row's (one
   * group, one panel, rows of exactly its columns, no more padding than one row: 3 channels in a
   * 16-float vector would spill over five rows) and the row is written later (callers check
   * that another row of the call follows the tile); saves the round trip through ct.
   */
  private static boolean spills(NhwcGemm.Packed w, int ldy, boolean whole, int j0) {
    return !whole && w.groups() == 1 && j0 == 0 && w.mgPad() <= 2 * L && ldy == w.mg()
        && w.mgPad() - w.mg() <= w.mg();
  }

  /**
   * The bias of a spilling partial panel padded to its width (zeros past {@code valid}) in the
   * spare vector row of {@code ct} past its tile rows, or the zero bias when there is none.
   */
  private static float[] spillBias(float[] bias, int b0, int valid, int width, float[] ct) {
    if (bias == null) {
      return NO_BIAS;
    }
    System.arraycopy(bias, b0, ct, TALL_ROWS * P, valid);
    java.util.Arrays.fill(ct, TALL_ROWS * P + valid, TALL_ROWS * P + width, 0f);
    return ct;
  }

  /** Rows per call unit of {@link #multiplyTaps}. */
  static int tapRows() {
    return TALL_ROWS;
  }

  /** Whether {@link #multiplyTaps} runs for panels {@code mgPad} wide: one or two vectors. */
  static boolean tapsFit(int mgPad) {
    return TALL && mgPad <= 2 * L;
  }

  /**
   * As {@link #multiply} for one panel of one or two vectors ({@link #tapsFit}) and a multiple of
   * {@value #TALL_ROWS} rows whose row r, column kk is {@code a[aOff + r*lda + taps[kk]]}: a
   * convolution's patches read where they lie in the input (a tap's offset from the pixel's
   * first), with no im2col copy. The same sums as {@link #multiply} on the copied patches.
   */
  static void multiplyTaps(int rows, float[] a, int aOff, int lda, int[] taps, NhwcGemm.Packed w,
      int g, float[] bias, float[] y, int yOff, int ldy) {
    tall(rows, rows, a, aOff, lda, taps, w, g, 0, bias, y, yOff, ldy,
        Scratch.get().cTile((TALL_ROWS + 1) * P));
  }

  /**
   * Rows {@code [0, tiles)} (a multiple of {@value #TALL_ROWS}) of the product with the panel at
   * column {@code j0} (one or two vectors), row r's column kk at {@code a[aOff + r*lda +
   * taps[kk]]}, in tiles of {@value #TALL_ROWS} rows; {@code rows} is how many rows the call
   * writes in all (a tile with more rows after it may spill, see {@link #spills}).
   */
  private static void tall(int tiles, int rows, float[] a, int aOff, int lda, int[] taps,
      NhwcGemm.Packed w, int g, int j0, float[] bias, float[] y, int yOff, int ldy, float[] ct) {
    int k = w.k();
    float[] bp = w.w();
    int width = Math.min(P, w.mgPad() - j0);
    int nv = width / L;
    int valid = Math.min(width, w.mg() - j0);
    int panel = g * k * w.mgPad() + j0 * k;
    int b0 = g * w.mg() + j0;
    boolean whole = valid == width;
    boolean spills = spills(w, ldy, whole, j0);
    float[] sb = spills ? spillBias(bias, b0, valid, width, ct) : NO_BIAS;
    float[] bz = whole && bias != null ? bias : NO_BIAS;
    int bi = whole && bias != null ? b0 : 0;
    for (int r = 0; r < tiles; r += TALL_ROWS) {
      boolean direct = whole || spills && r + TALL_ROWS < rows;
      int ar = aOff + r * lda;
      int o0 = direct ? yOff + r * ldy + j0 : 0;
      float[] to = direct ? y : ct;
      int ld = direct ? ldy : P;
      float[] bt = whole ? bz : direct ? sb : NO_BIAS;
      int bo = whole ? bi : direct && sb == ct ? TALL_ROWS * P : 0;
      if (nv == 2) {
        tile8x2(a, ar, lda, taps, k, bp, panel, to, o0, ld, bt, bo);
      } else {
        tile8x1(a, ar, lda, taps, k, bp, panel, to, o0, ld, bt, bo);
      }
      if (!direct) {
        store(ct, TALL_ROWS, valid, bias, b0, y, yOff + r * ldy + j0, ldy);
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
          c = FloatVector.broadcast(S, a[ar + i * lda + kk])
              .fma(FloatVector.fromArray(S, bp, bo), c);
        }
        c.intoArray(ct, i * P + v * L);
      }
    }
  }

  private static void tile4x1(float[] a, int ar, int lda, int k, float[] bp, int panel,
      float[] out, int o0, int ldo, float[] bias, int bi) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c10 = c00;
    FloatVector c20 = c00;
    FloatVector c30 = c00;
    for (int kk = 0, bo = panel; kk < k; kk++, bo += L) {
      FloatVector b0 = FloatVector.fromArray(S, bp, bo);
      int ai = ar + kk;
      FloatVector a0 = FloatVector.broadcast(S, a[ai]);
      c00 = a0.fma(b0, c00);
      FloatVector a1 = FloatVector.broadcast(S, a[ai + lda]);
      c10 = a1.fma(b0, c10);
      FloatVector a2 = FloatVector.broadcast(S, a[ai + 2 * lda]);
      c20 = a2.fma(b0, c20);
      FloatVector a3 = FloatVector.broadcast(S, a[ai + 3 * lda]);
      c30 = a3.fma(b0, c30);
    }
    FloatVector bv0 = FloatVector.fromArray(S, bias, bi);
    c00.add(bv0).intoArray(out, o0);
    c10.add(bv0).intoArray(out, o0 + ldo);
    c20.add(bv0).intoArray(out, o0 + 2 * ldo);
    c30.add(bv0).intoArray(out, o0 + 3 * ldo);
  }

  private static void tile4x2(float[] a, int ar, int lda, int k, float[] bp, int panel,
      float[] out, int o0, int ldo, float[] bias, int bi) {
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
      c00 = a0.fma(b0, c00);
      c01 = a0.fma(b1, c01);
      FloatVector a1 = FloatVector.broadcast(S, a[ai + lda]);
      c10 = a1.fma(b0, c10);
      c11 = a1.fma(b1, c11);
      FloatVector a2 = FloatVector.broadcast(S, a[ai + 2 * lda]);
      c20 = a2.fma(b0, c20);
      c21 = a2.fma(b1, c21);
      FloatVector a3 = FloatVector.broadcast(S, a[ai + 3 * lda]);
      c30 = a3.fma(b0, c30);
      c31 = a3.fma(b1, c31);
    }
    FloatVector bv0 = FloatVector.fromArray(S, bias, bi);
    FloatVector bv1 = FloatVector.fromArray(S, bias, bi + L);
    c00.add(bv0).intoArray(out, o0);
    c01.add(bv1).intoArray(out, o0 + L);
    c10.add(bv0).intoArray(out, o0 + ldo);
    c11.add(bv1).intoArray(out, o0 + ldo + L);
    c20.add(bv0).intoArray(out, o0 + 2 * ldo);
    c21.add(bv1).intoArray(out, o0 + 2 * ldo + L);
    c30.add(bv0).intoArray(out, o0 + 3 * ldo);
    c31.add(bv1).intoArray(out, o0 + 3 * ldo + L);
  }

  private static void tile4x3(float[] a, int ar, int lda, int k, float[] bp, int panel,
      float[] out, int o0, int ldo, float[] bias, int bi) {
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
      c00 = a0.fma(b0, c00);
      c01 = a0.fma(b1, c01);
      c02 = a0.fma(b2, c02);
      FloatVector a1 = FloatVector.broadcast(S, a[ai + lda]);
      c10 = a1.fma(b0, c10);
      c11 = a1.fma(b1, c11);
      c12 = a1.fma(b2, c12);
      FloatVector a2 = FloatVector.broadcast(S, a[ai + 2 * lda]);
      c20 = a2.fma(b0, c20);
      c21 = a2.fma(b1, c21);
      c22 = a2.fma(b2, c22);
      FloatVector a3 = FloatVector.broadcast(S, a[ai + 3 * lda]);
      c30 = a3.fma(b0, c30);
      c31 = a3.fma(b1, c31);
      c32 = a3.fma(b2, c32);
    }
    FloatVector bv0 = FloatVector.fromArray(S, bias, bi);
    FloatVector bv1 = FloatVector.fromArray(S, bias, bi + L);
    FloatVector bv2 = FloatVector.fromArray(S, bias, bi + 2 * L);
    c00.add(bv0).intoArray(out, o0);
    c01.add(bv1).intoArray(out, o0 + L);
    c02.add(bv2).intoArray(out, o0 + 2 * L);
    c10.add(bv0).intoArray(out, o0 + ldo);
    c11.add(bv1).intoArray(out, o0 + ldo + L);
    c12.add(bv2).intoArray(out, o0 + ldo + 2 * L);
    c20.add(bv0).intoArray(out, o0 + 2 * ldo);
    c21.add(bv1).intoArray(out, o0 + 2 * ldo + L);
    c22.add(bv2).intoArray(out, o0 + 2 * ldo + 2 * L);
    c30.add(bv0).intoArray(out, o0 + 3 * ldo);
    c31.add(bv1).intoArray(out, o0 + 3 * ldo + L);
    c32.add(bv2).intoArray(out, o0 + 3 * ldo + 2 * L);
  }

  private static void tile4x4(float[] a, int ar, int lda, int k, float[] bp, int panel,
      float[] out, int o0, int ldo, float[] bias, int bi) {
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
      c00 = a0.fma(b0, c00);
      c01 = a0.fma(b1, c01);
      c02 = a0.fma(b2, c02);
      c03 = a0.fma(b3, c03);
      FloatVector a1 = FloatVector.broadcast(S, a[ai + lda]);
      c10 = a1.fma(b0, c10);
      c11 = a1.fma(b1, c11);
      c12 = a1.fma(b2, c12);
      c13 = a1.fma(b3, c13);
      FloatVector a2 = FloatVector.broadcast(S, a[ai + 2 * lda]);
      c20 = a2.fma(b0, c20);
      c21 = a2.fma(b1, c21);
      c22 = a2.fma(b2, c22);
      c23 = a2.fma(b3, c23);
      FloatVector a3 = FloatVector.broadcast(S, a[ai + 3 * lda]);
      c30 = a3.fma(b0, c30);
      c31 = a3.fma(b1, c31);
      c32 = a3.fma(b2, c32);
      c33 = a3.fma(b3, c33);
    }
    FloatVector bv0 = FloatVector.fromArray(S, bias, bi);
    FloatVector bv1 = FloatVector.fromArray(S, bias, bi + L);
    FloatVector bv2 = FloatVector.fromArray(S, bias, bi + 2 * L);
    FloatVector bv3 = FloatVector.fromArray(S, bias, bi + 3 * L);
    c00.add(bv0).intoArray(out, o0);
    c01.add(bv1).intoArray(out, o0 + L);
    c02.add(bv2).intoArray(out, o0 + 2 * L);
    c03.add(bv3).intoArray(out, o0 + 3 * L);
    c10.add(bv0).intoArray(out, o0 + ldo);
    c11.add(bv1).intoArray(out, o0 + ldo + L);
    c12.add(bv2).intoArray(out, o0 + ldo + 2 * L);
    c13.add(bv3).intoArray(out, o0 + ldo + 3 * L);
    c20.add(bv0).intoArray(out, o0 + 2 * ldo);
    c21.add(bv1).intoArray(out, o0 + 2 * ldo + L);
    c22.add(bv2).intoArray(out, o0 + 2 * ldo + 2 * L);
    c23.add(bv3).intoArray(out, o0 + 2 * ldo + 3 * L);
    c30.add(bv0).intoArray(out, o0 + 3 * ldo);
    c31.add(bv1).intoArray(out, o0 + 3 * ldo + L);
    c32.add(bv2).intoArray(out, o0 + 3 * ldo + 2 * L);
    c33.add(bv3).intoArray(out, o0 + 3 * ldo + 3 * L);
  }

  private static void tile8x1(float[] a, int ar, int lda, int[] taps, int k, float[] bp,
      int panel, float[] out, int o0, int ldo, float[] bias, int bi) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c10 = c00;
    FloatVector c20 = c00;
    FloatVector c30 = c00;
    FloatVector c40 = c00;
    FloatVector c50 = c00;
    FloatVector c60 = c00;
    FloatVector c70 = c00;
    for (int kk = 0, bo = panel; kk < k; kk++, bo += L) {
      FloatVector b0 = FloatVector.fromArray(S, bp, bo);
      int ai = ar + taps[kk];
      FloatVector a0 = FloatVector.broadcast(S, a[ai]);
      c00 = a0.fma(b0, c00);
      FloatVector a1 = FloatVector.broadcast(S, a[ai + lda]);
      c10 = a1.fma(b0, c10);
      FloatVector a2 = FloatVector.broadcast(S, a[ai + 2 * lda]);
      c20 = a2.fma(b0, c20);
      FloatVector a3 = FloatVector.broadcast(S, a[ai + 3 * lda]);
      c30 = a3.fma(b0, c30);
      FloatVector a4 = FloatVector.broadcast(S, a[ai + 4 * lda]);
      c40 = a4.fma(b0, c40);
      FloatVector a5 = FloatVector.broadcast(S, a[ai + 5 * lda]);
      c50 = a5.fma(b0, c50);
      FloatVector a6 = FloatVector.broadcast(S, a[ai + 6 * lda]);
      c60 = a6.fma(b0, c60);
      FloatVector a7 = FloatVector.broadcast(S, a[ai + 7 * lda]);
      c70 = a7.fma(b0, c70);
    }
    FloatVector bv0 = FloatVector.fromArray(S, bias, bi);
    c00.add(bv0).intoArray(out, o0);
    c10.add(bv0).intoArray(out, o0 + ldo);
    c20.add(bv0).intoArray(out, o0 + 2 * ldo);
    c30.add(bv0).intoArray(out, o0 + 3 * ldo);
    c40.add(bv0).intoArray(out, o0 + 4 * ldo);
    c50.add(bv0).intoArray(out, o0 + 5 * ldo);
    c60.add(bv0).intoArray(out, o0 + 6 * ldo);
    c70.add(bv0).intoArray(out, o0 + 7 * ldo);
  }

  private static void tile8x2(float[] a, int ar, int lda, int[] taps, int k, float[] bp,
      int panel, float[] out, int o0, int ldo, float[] bias, int bi) {
    FloatVector c00 = FloatVector.zero(S);
    FloatVector c01 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c30 = c00;
    FloatVector c31 = c00;
    FloatVector c40 = c00;
    FloatVector c41 = c00;
    FloatVector c50 = c00;
    FloatVector c51 = c00;
    FloatVector c60 = c00;
    FloatVector c61 = c00;
    FloatVector c70 = c00;
    FloatVector c71 = c00;
    for (int kk = 0, bo = panel; kk < k; kk++, bo += 2 * L) {
      FloatVector b0 = FloatVector.fromArray(S, bp, bo);
      FloatVector b1 = FloatVector.fromArray(S, bp, bo + L);
      int ai = ar + taps[kk];
      FloatVector a0 = FloatVector.broadcast(S, a[ai]);
      c00 = a0.fma(b0, c00);
      c01 = a0.fma(b1, c01);
      FloatVector a1 = FloatVector.broadcast(S, a[ai + lda]);
      c10 = a1.fma(b0, c10);
      c11 = a1.fma(b1, c11);
      FloatVector a2 = FloatVector.broadcast(S, a[ai + 2 * lda]);
      c20 = a2.fma(b0, c20);
      c21 = a2.fma(b1, c21);
      FloatVector a3 = FloatVector.broadcast(S, a[ai + 3 * lda]);
      c30 = a3.fma(b0, c30);
      c31 = a3.fma(b1, c31);
      FloatVector a4 = FloatVector.broadcast(S, a[ai + 4 * lda]);
      c40 = a4.fma(b0, c40);
      c41 = a4.fma(b1, c41);
      FloatVector a5 = FloatVector.broadcast(S, a[ai + 5 * lda]);
      c50 = a5.fma(b0, c50);
      c51 = a5.fma(b1, c51);
      FloatVector a6 = FloatVector.broadcast(S, a[ai + 6 * lda]);
      c60 = a6.fma(b0, c60);
      c61 = a6.fma(b1, c61);
      FloatVector a7 = FloatVector.broadcast(S, a[ai + 7 * lda]);
      c70 = a7.fma(b0, c70);
      c71 = a7.fma(b1, c71);
    }
    FloatVector bv0 = FloatVector.fromArray(S, bias, bi);
    FloatVector bv1 = FloatVector.fromArray(S, bias, bi + L);
    c00.add(bv0).intoArray(out, o0);
    c01.add(bv1).intoArray(out, o0 + L);
    c10.add(bv0).intoArray(out, o0 + ldo);
    c11.add(bv1).intoArray(out, o0 + ldo + L);
    c20.add(bv0).intoArray(out, o0 + 2 * ldo);
    c21.add(bv1).intoArray(out, o0 + 2 * ldo + L);
    c30.add(bv0).intoArray(out, o0 + 3 * ldo);
    c31.add(bv1).intoArray(out, o0 + 3 * ldo + L);
    c40.add(bv0).intoArray(out, o0 + 4 * ldo);
    c41.add(bv1).intoArray(out, o0 + 4 * ldo + L);
    c50.add(bv0).intoArray(out, o0 + 5 * ldo);
    c51.add(bv1).intoArray(out, o0 + 5 * ldo + L);
    c60.add(bv0).intoArray(out, o0 + 6 * ldo);
    c61.add(bv1).intoArray(out, o0 + 6 * ldo + L);
    c70.add(bv0).intoArray(out, o0 + 7 * ldo);
    c71.add(bv1).intoArray(out, o0 + 7 * ldo + L);
  }
}
