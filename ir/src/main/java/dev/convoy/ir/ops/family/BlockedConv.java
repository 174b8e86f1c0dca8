package dev.convoy.ir.ops.family;

import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.runtime.Blas;
import dev.convoy.ir.ops.runtime.Parallel;
import dev.convoy.ir.ops.runtime.Scratch;
import dev.convoy.ir.ops.runtime.Stencil;
import dev.convoy.ir.ops.runtime.WeightCache;
import java.util.Arrays;

/**
 * Conv's tuned paths, chosen by {@link Conv} for 2-D convolutions and for pointwise ones of any
 * rank: a blocked im2col product (output positions in blocks that stay in L2, each block's
 * columns built and multiplied by one task) and a direct depthwise kernel (one input channel per
 * output channel).
 */
final class BlockedConv {

  /** Output rows shorter than this (with at least this many channels) multiply transposed. */
  private static final int SHORT_ROWS = 128;

  /** Target size of one im2col block, in floats: it stays in L2 while the product reads it. */
  private static final int COL_BLOCK = 1 << 17;

  /** The depthwise kernel activates this many finished outputs at once (16 KB: still in L1). */
  private static final int ACTIVATION_RUN = 4096;

  private BlockedConv() {}

  /**
   * A (grouped) 2-D or pointwise convolution as products over blocks of output positions: each
   * block's im2col rows (none for pointwise, which reads the input directly) and its columns of
   * the output, so the lowered input never exists whole. Blocks, images and groups are
   * independent tasks; when there are too few for the pool the product itself runs in parallel.
   * Each block gets its channel's {@code bias} (may be null), the residual {@code res} (may be
   * null) and then {@code act} as soon as its product is done, while it is still in cache. Input
   * and output start at elements {@code x0} and {@code y0} of their arrays.
   */
  static void gemm(float[] x, int x0, float[] w, float[] y, int y0, int n, int c, int group,
      int mg, Conv.Geometry geo, boolean pointwise, float[] bias, Conv.Residual res,
      Activation act, KernelContext ctx, Parallel par) {
    int cg = c / group;
    int m = mg * group;
    int kdim = cg * (int) Shape.product(geo.kernel());
    int inSize = (int) Shape.product(geo.in());
    int outSize = (int) Shape.product(geo.out());
    if (outSize == 0 || mg == 0) {
      return;
    }
    int block = Math.min(outSize, Math.max(256, (COL_BLOCK / Math.max(1, kdim)) & ~255));
    // The product sums in (kh, kw, C) order, the im2col rows' order: the weight (input 1 of the
    // node) reordered to match, once and kept when it is a weight.
    TapMajor order = new TapMajor(m, cg, (int) Shape.product(geo.kernel()));
    float[] wk = order.isIdentity() ? w : ctx.weightForm(1, w, order, () -> order.of(w));
    // Under a vector loop's worth of positions per row the product runs transposed, along
    // the output channels, with that weight transposed.
    WeightCache.Transposition wT = new WeightCache.Transposition(0, mg, kdim);
    float[] wt = group == 1 && outSize < SHORT_ROWS && mg >= SHORT_ROWS
        ? ctx.weightForm(1, w, new TapMajorTransposed(order, wT), () -> wT.of(wk)) : null;
    int blocks = (outSize + block - 1) / block;
    int tasks = n * group * blocks;
    boolean perTask = tasks >= 2 * par.threads();
    Parallel inner = perTask ? Parallel.serial() : par;
    long taskWork = (long) mg * block * kdim;
    (perTask ? par : Parallel.serial()).forRange(tasks, taskWork, (from, to) -> {
      float[] col = pointwise ? null : Scratch.get().col(kdim * block);
      for (int t = from; t < to; t++) {
        int p0 = (t % blocks) * block;
        int len = Math.min(outSize, p0 + block) - p0;
        int ig = t / blocks;
        int img = ig / group;
        int g = ig % group;
        int xOff = x0 + (img * c + g * cg) * inSize;
        int yOff = y0 + (img * m + g * mg) * outSize + p0;
        float[] src = x;
        int srcOff = xOff + p0;
        int ldSrc = inSize;
        if (!pointwise) {
          im2col2d(x, xOff, cg, geo, p0, len, col);
          src = col;
          srcOff = 0;
          ldSrc = len;
        }
        if (wt != null) {
          // Few positions, many channels: Y^T = X^T W^T keeps the vectorized loop long.
          float[] ct = Scratch.get().transposed(len * mg);
          Arrays.fill(ct, 0, len * mg, 0f);
          Blas.sgemm(len, mg, kdim, src, srcOff, 1, ldSrc, wt, 0, mg, ct, 0, mg, inner);
          for (int oc = 0; oc < mg; oc++) {
            int dst = yOff + oc * outSize;
            for (int p = 0; p < len; p++) {
              y[dst + p] = ct[p * mg + oc];
            }
          }
        } else {
          Blas.sgemm(mg, len, kdim, wk, g * mg * kdim, kdim, src, srcOff, ldSrc, y, yOff,
              outSize, inner);
        }
        // The activation over as long a run as lies contiguous: the whole block of output
        // channels when it spans every position, else each channel's row. Its vector loop then
        // rarely ends in a scalar tail (7x7 and 14x14 rows would spend half their time there).
        boolean whole = len == outSize;
        for (int oc = 0; oc < mg; oc++) {
          int dst = yOff + oc * outSize;
          if (bias != null) {
            Conv.addBias(y, dst, dst + len, bias[g * mg + oc]);
          }
          if (res != null) {
            res.addTo(y, dst, len, dst - y0);
          }
          if (!whole) {
            act.applyTo(y, dst, dst + len);
          }
        }
        if (whole) {
          act.applyTo(y, yOff, yOff + mg * len);
        }
      }
    });
  }

  /**
   * A 2-D convolution's weight {@code [M, C/group, kh*kw]} (OIHW) with each output channel's
   * terms in {@code (kh, kw, C)} order, {@code [M, kh*kw, C/group]}: the order in which
   * channels-last patches hold them ({@code NhwcConv}), so that both layouts add the same terms
   * in the same order and give the same floats.
   */
  private record TapMajor(int m, int cg, int taps) {
    boolean isIdentity() {
      return taps == 1 || cg == 1;
    }

    float[] of(float[] w) {
      float[] out = new float[m * cg * taps];
      for (int oc = 0; oc < m; oc++) {
        int base = oc * cg * taps;
        for (int ch = 0; ch < cg; ch++) {
          for (int t = 0; t < taps; t++) {
            out[base + t * cg + ch] = w[base + ch * taps + t];
          }
        }
      }
      return out;
    }
  }

  /** The key of the {@link TapMajor} weight transposed. */
  private record TapMajorTransposed(TapMajor order, WeightCache.Transposition transposition) {}

  /**
   * Output positions {@code [p0, p0+len)} of the 2-D im2col matrix: row {@code (kh, kw, ch)}
   * (as {@link TapMajor} orders the weight) at {@code col[row * len]}, zero where the window
   * reads padding. Unit-stride rows are bulk copies.
   */
  private static void im2col2d(float[] x, int xOff, int channels, Conv.Geometry geo, int p0,
      int len, float[] col) {
    int ih = (int) geo.in()[0];
    int iw = (int) geo.in()[1];
    int kh = (int) geo.kernel()[0];
    int kw = (int) geo.kernel()[1];
    int ow = (int) geo.out()[1];
    int sh = (int) geo.strides()[0];
    int sw = (int) geo.strides()[1];
    int dh = (int) geo.dilations()[0];
    int dw = (int) geo.dilations()[1];
    int ph = (int) geo.padBegin()[0];
    int pw = (int) geo.padBegin()[1];
    int p1 = p0 + len;
    for (int ch = 0; ch < channels; ch++) {
      int plane = xOff + ch * ih * iw;
      for (int a = 0; a < kh; a++) {
        for (int b = 0; b < kw; b++) {
          int row = (a * kw + b) * channels + ch;
          int dst = row * len - p0;
          int shift = b * dw - pw;
          // Output columns [lo, hi) read inside the input row.
          int lo = shift >= 0 ? 0 : Math.min(ow, (-shift + sw - 1) / sw);
          int hi = iw - 1 - shift < 0 ? 0 : Math.min(ow, (iw - 1 - shift) / sw + 1);
          hi = Math.max(lo, hi);
          for (int p = p0; p < p1; ) {
            int oy = p / ow;
            int ox0 = p - oy * ow;
            int ox1 = Math.min(ow, ox0 + (p1 - p));
            int rowStart = dst + oy * ow;
            int iy = oy * sh - ph + a * dh;
            if (iy < 0 || iy >= ih) {
              Arrays.fill(col, rowStart + ox0, rowStart + ox1, 0f);
            } else {
              int src = plane + iy * iw + shift;
              int from = Math.max(ox0, lo);
              int to = Math.min(ox1, hi);
              if (from >= to) {
                Arrays.fill(col, rowStart + ox0, rowStart + ox1, 0f);
              } else {
                Arrays.fill(col, rowStart + ox0, rowStart + from, 0f);
                if (sw == 1) {
                  System.arraycopy(x, src + from, col, rowStart + from, to - from);
                } else {
                  for (int o = from; o < to; o++) {
                    col[rowStart + o] = x[src + o * sw];
                  }
                }
                Arrays.fill(col, rowStart + to, rowStart + ox1, 0f);
              }
            }
            p += ox1 - ox0;
          }
        }
      }
    }
  }

  /**
   * A 2-D convolution with one output channel per input channel (group == C == M, the depthwise
   * convolutions of MobileNet and ShuffleNet), computed directly: per output row, each
   * kernel tap adds a weighted input row (copied to a zero-based buffer so the loop vectorizes)
   * over the output columns whose window lies inside the input. Taps are added in kernel order,
   * as the im2col product does; then the channel's {@code bias} (may be null) and the residual
   * {@code res} (may be null) on each output row before it is stored, and {@code act} on the
   * channel's plane once its rows are done. Input and output start at elements {@code x0} and
   * {@code y0}.
   */
  static void depthwise(float[] x, int x0, float[] w, float[] y, int y0, int n, int c,
      Conv.Geometry geo, float[] bias, Conv.Residual res, Activation act, Parallel par) {
    int ih = (int) geo.in()[0];
    int iw = (int) geo.in()[1];
    int kh = (int) geo.kernel()[0];
    int kw = (int) geo.kernel()[1];
    int oh = (int) geo.out()[0];
    int ow = (int) geo.out()[1];
    int sh = (int) geo.strides()[0];
    int sw = (int) geo.strides()[1];
    int dh = (int) geo.dilations()[0];
    int dw = (int) geo.dilations()[1];
    int ph = (int) geo.padBegin()[0];
    int pw = (int) geo.padBegin()[1];
    int[] lo = new int[kw];
    int[] hi = new int[kw];
    for (int b = 0; b < kw; b++) {
      int shift = b * dw - pw;
      lo[b] = shift >= 0 ? 0 : Math.min(ow, (-shift + sw - 1) / sw);
      hi[b] = Math.max(lo[b], iw - 1 - shift < 0 ? 0 : Math.min(ow, (iw - 1 - shift) / sw + 1));
    }
    // Unit stride on the Vector API: each output vector sums its taps in registers.
    boolean stencil = sw == 1 && Stencil.pays(ow);
    int planeSize = oh * ow;
    par.forRange(n * c, (long) oh * ow * kh * kw, (from, to) -> {
      float[] acc = new float[ow];
      float[] tap = new float[ow];
      int[] rows = new int[kh];
      int actFrom = from;
      for (int t = from; t < to; t++) {
        int img = t / c;
        int oc = t % c;
        int plane = x0 + (img * c + oc) * ih * iw;
        int wBase = oc * kh * kw;
        int yBase = y0 + t * oh * ow;
        for (int oy = 0; oy < oh; oy++) {
          if (stencil) {
            for (int a = 0; a < kh; a++) {
              int iy = oy * sh - ph + a * dh;
              rows[a] = iy < 0 || iy >= ih ? -1 : plane + iy * iw;
            }
            Stencil.depthwiseRow(x, rows, kh, kw, dw, pw, w, wBase, lo, hi, acc, ow);
            finishRow(acc, ow, bias, oc, res, y, yBase + oy * ow, y0);
            continue;
          }
          Arrays.fill(acc, 0f);
          for (int a = 0; a < kh; a++) {
            int iy = oy * sh - ph + a * dh;
            if (iy < 0 || iy >= ih) {
              continue;
            }
            int rowBase = plane + iy * iw;
            for (int b = 0; b < kw; b++) {
              int l = lo[b];
              int h = hi[b];
              if (l == h) {
                // No output column reads this tap (a kernel wider than the padded input): the
                // copy's source would start before the row.
                continue;
              }
              int src = rowBase + b * dw - pw;
              if (sw == 1) {
                System.arraycopy(x, src + l, tap, l, h - l);
              } else {
                for (int o = l; o < h; o++) {
                  tap[o] = x[src + o * sw];
                }
              }
              axpy(w[wBase + a * kw + b], tap, acc, l, h);
            }
          }
          finishRow(acc, ow, bias, oc, res, y, yBase + oy * ow, y0);
        }
        // The activation over whole planes, still in cache, rather than per row or per plane:
        // rows of 7 or 14 columns leave most of a vector loop to its scalar tail, and silero's
        // planes of 8 made FusedConv(Relu) slower than the Conv and Relu it replaces.
        if ((t + 1 - actFrom) * planeSize >= ACTIVATION_RUN || t == to - 1) {
          act.applyTo(y, y0 + actFrom * planeSize, yBase + planeSize);
          actFrom = t + 1;
        }
      }
    });
  }

  /**
   * One depthwise output row: its channel's bias and the residual, then stored at {@code dst}
   * (output index {@code dst - y0}); the activation follows over the whole plane.
   */
  private static void finishRow(float[] acc, int ow, float[] bias, int oc, Conv.Residual res,
      float[] y, int dst, int y0) {
    if (bias != null) {
      Conv.addBias(acc, 0, ow, bias[oc]);
    }
    if (res != null) {
      res.addTo(acc, 0, ow, dst - y0);
    }
    System.arraycopy(acc, 0, y, dst, ow);
  }

  /** {@code acc[j] += v * tap[j]} for j in {@code [from, to)}. */
  private static void axpy(float v, float[] tap, float[] acc, int from, int to) {
    for (int j = from; j < to; j++) {
      acc[j] += v * tap[j];
    }
  }
}
