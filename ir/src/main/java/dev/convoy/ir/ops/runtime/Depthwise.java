package dev.convoy.ir.ops.runtime;

/**
 * Depthwise 2-D convolution channels-last ({@code group == C == M}, weight {@code [kh, kw, 1,
 * C]}): in NHWC every tap is a contiguous channel vector of the input times the tap's contiguous
 * weight vector, so the kernel vectorizes over channels with no gather, at any stride. An output
 * row is cut into spans of pixels that see the same taps: the interior span (every tap inside the
 * input, one tap list for the whole run, its columns at a fixed step of {@code stride * C}) and
 * one span per border pixel (the taps inside, listed once for it); the kernel itself never tests
 * a bound. Each output element is its taps' products summed in kernel order, skipping the taps in
 * the padding ({@code w0*x0 + w1*x1 + ...}, a multiply then an add), plus the bias: the NCHW
 * kernel's value up to float reassociation. The Vector API path ({@code VectorDepthwise}, when
 * {@link Blas#vectorized()}) equals the scalar one bit for bit; it holds a 3x3 kernel's nine weight
 * vectors in registers across the span.
 */
public final class Depthwise {
  private static final boolean VECTOR = Blas.vectorized();

  private Depthwise() {}

  /**
   * The sizes of one depthwise convolution: batch, input height, width and channels, kernel,
   * output height and width, strides, dilations and the leading pads.
   */
  public record Geometry(int n, int ih, int iw, int c, int kh, int kw, int oh, int ow, int sh,
      int sw, int dh, int dw, int ph, int pw) {
    /** Per-thread tap lists, big enough for any span of this geometry. */
    public Taps taps() {
      return new Taps(new int[kh * kw], new int[kh * kw]);
    }
  }

  /** The input and weight offsets of a span's taps (scratch reused from span to span). */
  public record Taps(int[] x, int[] w) {}

  /**
   * Output row {@code row} (image {@code row / oh}, output row {@code row % oh}) into {@code y}
   * from {@code y0 + row * ow * c}: {@code bias} may be null; the input starts at {@code x0}.
   */
  public static void row(Geometry g, float[] x, int x0, float[] w, float[] bias, int row,
      Taps taps, float[] y, int y0) {
    row(g, x, x0, w, bias, row, taps, y, y0, VECTOR);
  }

  /** {@link #row} on the Vector API path or on the scalar one. */
  static void row(Geometry g, float[] x, int x0, float[] w, float[] bias, int row, Taps taps,
      float[] y, int y0, boolean vector) {
    int img = row / g.oh;
    int oy = row % g.oh;
    int c = g.c;
    int iy0 = oy * g.sh - g.ph;
    int a0 = iy0 >= 0 ? 0 : Math.min(g.kh, ceilDiv(-iy0, g.dh));
    int a1 = Math.max(a0, Math.min(g.kh, ceilDiv(g.ih - iy0, g.dh)));
    int xImg = x0 + img * g.ih * g.iw * c;
    int yRow = y0 + row * g.ow * c;
    // Interior columns: ox * sw - pw >= 0 and ox * sw - pw + (kw - 1) * dw < iw.
    int lo = Math.min(g.ow, ceilDiv(g.pw, g.sw));
    int hi = Math.max(lo, Math.min(g.ow,
        Math.floorDiv(g.iw - 1 + g.pw - (g.kw - 1) * g.dw, g.sw) + 1));
    for (int ox = 0; ox < g.ow; ox++) {
      if (ox == lo && hi > lo) {
        int n = list(g, iy0, a0, a1, 0, g.kw, taps);
        span(x, xImg + (lo * g.sw - g.pw) * c, g.sw * c, taps, n, w, bias, y, yRow + lo * c,
            hi - lo, c, vector);
        ox = hi - 1;
        continue;
      }
      int ix0 = ox * g.sw - g.pw;
      int b0 = ix0 >= 0 ? 0 : Math.min(g.kw, ceilDiv(-ix0, g.dw));
      int b1 = Math.max(b0, Math.min(g.kw, ceilDiv(g.iw - ix0, g.dw)));
      int n = list(g, iy0, a0, a1, b0, b1, taps);
      span(x, xImg + ix0 * c, 0, taps, n, w, bias, y, yRow + ox * c, 1, c, vector);
    }
  }

  /**
   * Lists taps {@code (a, b)}, {@code a0 <= a < a1}, {@code b0 <= b < b1}, in kernel order: input
   * offset relative to the span's first pixel's top-left tap column (row {@code iy0}), weight
   * offset; returns how many.
   */
  private static int list(Geometry g, int iy0, int a0, int a1, int b0, int b1, Taps taps) {
    int c = g.c;
    int n = 0;
    for (int a = a0; a < a1; a++) {
      for (int b = b0; b < b1; b++, n++) {
        taps.x[n] = ((iy0 + a * g.dh) * g.iw + b * g.dw) * c;
        taps.w[n] = (a * g.kw + b) * c;
      }
    }
    return n;
  }

  private static int ceilDiv(int a, int b) {
    return -Math.floorDiv(-a, b);
  }

  /**
   * {@code y[ys + p*c + j] = sum over t < n of w[tw[t] + j] * x[xs + p*step + tx[t] + j] (+
   * bias[j])} for pixels {@code p < count} and channels {@code j < c}, the sum from its first
   * product in tap order; no taps gives 0 (+ bias).
   */
  private static void span(float[] x, int xs, int step, Taps taps, int n, float[] w,
      float[] bias, float[] y, int ys, int count, int c, boolean vector) {
    if (vector) {
      VectorDepthwise.span(x, xs, step, taps.x, taps.w, n, w, bias, y, ys, count, c);
    } else {
      scalarSpan(x, xs, step, taps.x, taps.w, n, w, bias, y, ys, count, c);
    }
  }

  /** The scalar path of {@link #span}, the reference the vector one equals. */
  static void scalarSpan(float[] x, int xs, int step, int[] tx, int[] tw, int n, float[] w,
      float[] bias, float[] y, int ys, int count, int c) {
    for (int p = 0; p < count; p++) {
      int xp = xs + p * step;
      int yp = ys + p * c;
      for (int j = 0; j < c; j++) {
        float acc = n == 0 ? 0f : w[tw[0] + j] * x[xp + tx[0] + j];
        for (int t = 1; t < n; t++) {
          acc = acc + w[tw[t] + j] * x[xp + tx[t] + j];
        }
        y[yp + j] = bias == null ? acc : acc + bias[j];
      }
    }
  }
}
