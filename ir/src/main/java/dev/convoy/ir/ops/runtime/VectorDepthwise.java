package dev.convoy.ir.ops.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Depthwise}'s span kernel on the JDK's Vector API with the preferred species (the one
 * {@link VectorGemm} and {@link VectorNhwc} use): one vector of channels at a time across the
 * span's pixels, so a 3x3 kernel's nine weight vectors (and the bias) stay in registers while
 * the pixels stream; other tap counts reload their weight vectors per pixel, two vectors of
 * channels at a time (two independent sums). Channels past the last
 * whole vector are redone as the vector ending at {@code c} (the same values again on the lanes
 * already stored; the output never aliases the input), or by the scalar loop when {@code c} is
 * shorter than a vector. Same operations in the same order as the scalar loop: equal bit for bit.
 * Loaded only when {@link Blas#vectorized()} holds.
 */
final class VectorDepthwise {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();

  private VectorDepthwise() {}

  static void span(float[] x, int xs, int step, int[] tx, int[] tw, int n, float[] w,
      float[] bias, float[] y, int ys, int count, int c) {
    if (c < L) {
      Depthwise.scalarSpan(x, xs, step, tx, tw, n, w, bias, y, ys, count, c);
      return;
    }
    int j = 0;
    if (n != 9) {
      for (; j + 2 * L <= c; j += 2 * L) {
        anyTwo(x, xs, step, tx, tw, n, w, bias, y, ys, count, c, j);
      }
    }
    for (; j < c; j += L) {
      int jv = Math.min(j, c - L);
      if (n == 9) {
        nine(x, xs, step, tx, tw, w, bias, y, ys, count, c, jv);
      } else {
        any(x, xs, step, tx, tw, n, w, bias, y, ys, count, c, jv);
      }
    }
  }

  /** Nine taps (a 3x3 kernel away from the border): the weight vectors loaded once. */
  private static void nine(float[] x, int xs, int step, int[] tx, int[] tw, float[] w,
      float[] bias, float[] y, int ys, int count, int c, int j) {
    FloatVector w0 = FloatVector.fromArray(S, w, tw[0] + j);
    FloatVector w1 = FloatVector.fromArray(S, w, tw[1] + j);
    FloatVector w2 = FloatVector.fromArray(S, w, tw[2] + j);
    FloatVector w3 = FloatVector.fromArray(S, w, tw[3] + j);
    FloatVector w4 = FloatVector.fromArray(S, w, tw[4] + j);
    FloatVector w5 = FloatVector.fromArray(S, w, tw[5] + j);
    FloatVector w6 = FloatVector.fromArray(S, w, tw[6] + j);
    FloatVector w7 = FloatVector.fromArray(S, w, tw[7] + j);
    FloatVector w8 = FloatVector.fromArray(S, w, tw[8] + j);
    int x0 = tx[0] + j;
    int x1 = tx[1] + j;
    int x2 = tx[2] + j;
    int x3 = tx[3] + j;
    int x4 = tx[4] + j;
    int x5 = tx[5] + j;
    int x6 = tx[6] + j;
    int x7 = tx[7] + j;
    int x8 = tx[8] + j;
    for (int p = 0, xp = xs, yp = ys + j; p < count; p++, xp += step, yp += c) {
      FloatVector acc = w0.mul(FloatVector.fromArray(S, x, xp + x0));
      acc = acc.add(w1.mul(FloatVector.fromArray(S, x, xp + x1)));
      acc = acc.add(w2.mul(FloatVector.fromArray(S, x, xp + x2)));
      acc = acc.add(w3.mul(FloatVector.fromArray(S, x, xp + x3)));
      acc = acc.add(w4.mul(FloatVector.fromArray(S, x, xp + x4)));
      acc = acc.add(w5.mul(FloatVector.fromArray(S, x, xp + x5)));
      acc = acc.add(w6.mul(FloatVector.fromArray(S, x, xp + x6)));
      acc = acc.add(w7.mul(FloatVector.fromArray(S, x, xp + x7)));
      acc = acc.add(w8.mul(FloatVector.fromArray(S, x, xp + x8)));
      if (bias != null) {
        acc = acc.add(FloatVector.fromArray(S, bias, j));
      }
      acc.intoArray(y, yp);
    }
  }

  /**
   * Any number of taps on two vectors of channels, {@code [j, j + 2L)}: two independent sums per
   * pixel sharing each tap's offsets.
   */
  private static void anyTwo(float[] x, int xs, int step, int[] tx, int[] tw, int n, float[] w,
      float[] bias, float[] y, int ys, int count, int c, int j) {
    for (int p = 0, xp = xs + j, yp = ys + j; p < count; p++, xp += step, yp += c) {
      FloatVector acc0 = FloatVector.zero(S);
      FloatVector acc1 = acc0;
      if (n > 0) {
        acc0 = FloatVector.fromArray(S, w, tw[0] + j).mul(FloatVector.fromArray(S, x, xp + tx[0]));
        acc1 = FloatVector.fromArray(S, w, tw[0] + j + L)
            .mul(FloatVector.fromArray(S, x, xp + tx[0] + L));
      }
      for (int t = 1; t < n; t++) {
        int wt = tw[t] + j;
        int xt = xp + tx[t];
        acc0 = acc0.add(FloatVector.fromArray(S, w, wt).mul(FloatVector.fromArray(S, x, xt)));
        acc1 = acc1.add(FloatVector.fromArray(S, w, wt + L)
            .mul(FloatVector.fromArray(S, x, xt + L)));
      }
      if (bias != null) {
        acc0 = acc0.add(FloatVector.fromArray(S, bias, j));
        acc1 = acc1.add(FloatVector.fromArray(S, bias, j + L));
      }
      acc0.intoArray(y, yp);
      acc1.intoArray(y, yp + L);
    }
  }

  /** Any number of taps, each weight vector reloaded per pixel. */
  private static void any(float[] x, int xs, int step, int[] tx, int[] tw, int n, float[] w,
      float[] bias, float[] y, int ys, int count, int c, int j) {
    for (int p = 0, xp = xs + j, yp = ys + j; p < count; p++, xp += step, yp += c) {
      FloatVector acc = FloatVector.zero(S);
      if (n > 0) {
        acc = FloatVector.fromArray(S, w, tw[0] + j).mul(FloatVector.fromArray(S, x, xp + tx[0]));
      }
      for (int t = 1; t < n; t++) {
        acc = acc.add(FloatVector.fromArray(S, w, tw[t] + j)
            .mul(FloatVector.fromArray(S, x, xp + tx[t])));
      }
      if (bias != null) {
        acc = acc.add(FloatVector.fromArray(S, bias, j));
      }
      acc.intoArray(y, yp);
    }
  }
}
