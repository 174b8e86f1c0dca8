package dev.convoy.ir.ops.family;

import static dev.convoy.ir.ops.Kernels.one;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.ops.InferenceContext;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.NodeContext;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.ShapeFns;
import java.util.ArrayList;
import java.util.List;

/**
 * Signal processing ops of opset 17+: DFT (17 with the axis attribute, 20 with the axis input),
 * STFT, the Hann, Hamming and Blackman windows and MelWeightMatrix. Signals carry a trailing
 * dimension of 1 (real) or 2 (real, imaginary). Transforms are direct O(n^2) sums in double over
 * precomputed twiddles, which is exact enough and fast for the frame sizes these ops see.
 */
public final class Signal implements OpFamily {

  @Override
  public void register(OpRegistrar r) {
    r.op("DFT", 17).inputs(1, 2).attr("axis", 1L).attr("inverse", 0L).attr("onesided", 0L)
        .shape(ctx -> dftShape(ctx, ctx.attrLong("axis")))
        .kernel(ctx -> one(dft(ctx, ctx.attrLong("axis"))));
    r.op("DFT", 20).inputs(1, 3).attr("inverse", 0L).attr("onesided", 0L)
        .shape(ctx -> {
          long[] axis = ctx.constantLongs(2);
          Long a = !ctx.hasInput(2) ? Long.valueOf(-2) : axis == null ? null : axis[0];
          return dftShape(ctx, a);
        })
        .kernel(ctx -> one(dft(ctx, ctx.scalarLong(2, -2))));
    r.op("STFT", 17).inputs(2, 4).attr("onesided", 1L).shape(ctx -> {
      Shape s = ctx.shape(0);
      return ShapeFns.tensor(ctx.dtype(0), Shape.of(s.hasRank() ? s.dim(0) : Dim.UNKNOWN,
          Dim.UNKNOWN, Dim.UNKNOWN, Dim.of(2)));
    }).kernel(ctx -> one(stft(ctx)));
    window(r, "HannWindow", new double[] {0.5, 0.5, 0});
    window(r, "HammingWindow", new double[] {25.0 / 46, 21.0 / 46, 0});
    window(r, "BlackmanWindow", new double[] {0.42, 0.5, 0.08});
    r.op("MelWeightMatrix", 17).inputs(5).attr("output_datatype", 1L)
        .shape(ctx -> ShapeFns.tensor(DType.fromOnnx(ctx.attrInt("output_datatype")),
            ShapeFns.unknownDims(2)))
        .kernel(ctx -> one(melWeightMatrix(ctx)));
  }

  // ---- DFT ----

  /** The transform axis, normalized and checked: a signal dim, never the trailing complex one. */
  private static int signalAxis(NodeContext ctx, long axis, int rank) {
    long a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank - 1) {
      throw ctx.error("axis " + axis + " is not a signal dimension of a rank-" + rank + " input");
    }
    return (int) a;
  }

  private static List<dev.convoy.ir.graph.ValueType> dftShape(InferenceContext ctx, Long axis) {
    Shape s = ctx.shape(0);
    if (!s.hasRank() || axis == null) {
      return ShapeFns.tensor(ctx.dtype(0), s.hasRank() ? ShapeFns.unknownDims(s.rank())
          : Shape.unknownRank());
    }
    int a = signalAxis(ctx, axis, s.rank());
    long[] len = ctx.constantLongs(1);
    boolean inverse = ctx.attrLong("inverse") != 0;
    boolean onesided = ctx.attrLong("onesided") != 0;
    Dim in = s.dim(a);
    Dim n = ctx.hasInput(1) ? (len != null ? Dim.of(len[0]) : Dim.UNKNOWN)
        : !(inverse && onesided) ? in
        : in.isStatic() ? Dim.of(2 * (in.size() - 1)) : Dim.UNKNOWN;
    List<Dim> out = new ArrayList<>(s.dims());
    if (onesided && !inverse) {
      out.set(a, n.isStatic() ? Dim.of(n.size() / 2 + 1) : Dim.UNKNOWN);
    } else {
      out.set(a, n);
    }
    out.set(s.rank() - 1, Dim.of(onesided && inverse ? 1 : 2));
    return ShapeFns.tensor(ctx.dtype(0), Shape.of(out));
  }

  private static NdArray dft(KernelContext ctx, long axisValue) {
    NdArray x = ctx.tensor(0);
    if (!x.dtype().isFloatingPoint()) {
      throw ctx.error("DFT input must be a float tensor, is " + x.describe());
    }
    int rank = x.rank();
    if (rank < 2 || (x.dim(rank - 1) != 1 && x.dim(rank - 1) != 2)) {
      throw ctx.error("input " + x.describe() + " must end in a dimension of 1 or 2");
    }
    int axis = signalAxis(ctx, axisValue, rank);
    long[] dims = x.dims();
    int inLen = (int) dims[axis];
    boolean inverse = ctx.attrLong("inverse") != 0;
    boolean onesided = ctx.attrLong("onesided") != 0;
    boolean irfft = inverse && onesided;
    // An inverse of a half spectrum of m bins is a real signal of 2(m - 1) samples by default.
    int n = ctx.hasInput(1) ? (int) ctx.scalarLong(1, inLen) : irfft ? 2 * (inLen - 1) : inLen;
    if (n <= 0) {
      throw ctx.error("dft_length must be positive, is " + n);
    }
    boolean complexIn = dims[rank - 1] == 2;
    int outer = 1;
    for (int i = 0; i < axis; i++) {
      outer *= (int) dims[i];
    }
    int inner = 1;
    for (int i = axis + 1; i < rank - 1; i++) {
      inner *= (int) dims[i];
    }
    int outLen = onesided && !inverse ? n / 2 + 1 : n;
    int outComplex = irfft ? 1 : 2;
    double[] v = x.toDoubles();
    double[] out = new double[outer * outLen * inner * outComplex];
    double[] cos = new double[n];
    double[] sin = new double[n];
    for (int k = 0; k < n; k++) {
      cos[k] = Math.cos(2 * Math.PI * k / n);
      sin[k] = Math.sin(2 * Math.PI * k / n);
    }
    double sign = inverse ? 1 : -1;
    double[] re = new double[n];
    double[] im = new double[n];
    int c = complexIn ? 2 : 1;
    for (int o = 0; o < outer; o++) {
      for (int in = 0; in < inner; in++) {
        java.util.Arrays.fill(re, 0);
        java.util.Arrays.fill(im, 0);
        int avail = irfft ? Math.min(inLen, n / 2 + 1) : Math.min(inLen, n);
        for (int j = 0; j < avail; j++) {
          int src = ((o * inLen + j) * inner + in) * c;
          re[j] = v[src];
          im[j] = complexIn ? v[src + 1] : 0;
        }
        if (irfft) {
          // The half spectrum implies the rest by Hermitian symmetry: X[n-k] = conj(X[k]).
          for (int k = n / 2 + 1; k < n; k++) {
            re[k] = re[n - k];
            im[k] = -im[n - k];
          }
        }
        for (int k = 0; k < outLen; k++) {
          double sr = 0;
          double si = 0;
          for (int j = 0; j < n; j++) {
            int t = (int) ((long) j * k % n);
            double cr = cos[t];
            double ci = sign * sin[t];
            sr += re[j] * cr - im[j] * ci;
            si += re[j] * ci + im[j] * cr;
          }
          if (inverse) {
            sr /= n;
            si /= n;
          }
          int dst = ((o * outLen + k) * inner + in) * outComplex;
          out[dst] = sr;
          if (outComplex == 2) {
            out[dst + 1] = si;
          }
        }
      }
    }
    long[] outDims = dims.clone();
    outDims[axis] = outLen;
    outDims[rank - 1] = outComplex;
    return NdArray.fromDoubles(x.dtype(), outDims, out);
  }

  // ---- STFT ----

  private static NdArray stft(KernelContext ctx) {
    NdArray signal = ctx.tensor(0);
    if (signal.rank() != 3 || (signal.dim(2) != 1 && signal.dim(2) != 2)) {
      throw ctx.error("signal must be [batch, length, 1 or 2], is " + signal.describe());
    }
    long step = ctx.scalarLong(1, 0);
    NdArray window = ctx.optionalTensor(2);
    long frameLength = ctx.hasInput(3) ? ctx.scalarLong(3, 0)
        : window != null ? window.size() : 0;
    if (step <= 0 || frameLength <= 0 || (window != null && window.size() != frameLength)) {
      throw ctx.error("frame_step and frame_length must be positive and match the window");
    }
    boolean onesided = ctx.attrLong("onesided") != 0;
    boolean complexIn = signal.dim(2) == 2;
    if (onesided && complexIn) {
      throw ctx.error("onesided STFT needs a real signal");
    }
    int batch = (int) signal.dim(0);
    int len = (int) signal.dim(1);
    int fl = (int) frameLength;
    int frames = len < fl ? 0 : (int) ((len - fl) / step + 1);
    int bins = onesided ? fl / 2 + 1 : fl;
    double[] w = window == null ? null : window.toDoubles();
    double[] v = signal.toDoubles();
    int c = complexIn ? 2 : 1;
    double[] out = new double[batch * frames * bins * 2];
    for (int b = 0; b < batch; b++) {
      for (int f = 0; f < frames; f++) {
        int start = (int) (f * step);
        for (int k = 0; k < bins; k++) {
          double sr = 0;
          double si = 0;
          for (int j = 0; j < fl; j++) {
            int src = ((b * len) + start + j) * c;
            double scale = w == null ? 1 : w[j];
            double xr = v[src] * scale;
            double xi = complexIn ? v[src + 1] * scale : 0;
            double ang = -2 * Math.PI * ((long) j * k % fl) / fl;
            double cr = Math.cos(ang);
            double ci = Math.sin(ang);
            sr += xr * cr - xi * ci;
            si += xr * ci + xi * cr;
          }
          int dst = ((b * frames + f) * bins + k) * 2;
          out[dst] = sr;
          out[dst + 1] = si;
        }
      }
    }
    return NdArray.fromDoubles(signal.dtype(), new long[] {batch, frames, bins, 2}, out);
  }

  // ---- windows ----

  /** A cosine-sum window {@code a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N)}. */
  private static void window(OpRegistrar r, String op, double[] a) {
    r.op(op, 17).attr("output_datatype", 1L).attr("periodic", 1L)
        .shape(ctx -> {
          long[] size = ctx.constantLongs(0);
          return ShapeFns.tensor(DType.fromOnnx(ctx.attrInt("output_datatype")),
              Shape.of(size == null ? Dim.UNKNOWN : Dim.of(size[0])));
        })
        .kernel(ctx -> {
          long size = ctx.scalarLong(0, 0);
          if (size < 0) {
            throw ctx.error("window size must not be negative, is " + size);
          }
          boolean periodic = ctx.attrLong("periodic") != 0;
          double denom = periodic ? size : size - 1;
          double[] w = new double[(int) size];
          for (int i = 0; i < size; i++) {
            double t = denom == 0 ? 0 : 2 * Math.PI * i / denom;
            w[i] = a[0] - a[1] * Math.cos(t) + a[2] * Math.cos(2 * t);
          }
          return one(NdArray.fromDoubles(DType.fromOnnx(ctx.attrInt("output_datatype")),
              new long[] {size}, w));
        });
  }

  // ---- MelWeightMatrix ----

  /**
   * Triangular mel filters as the ONNX reference builds them: mel points spaced evenly between
   * the edges (in float32, like the reference), mapped to FFT bins by floor division.
   */
  private static NdArray melWeightMatrix(KernelContext ctx) {
    int mels = (int) ctx.scalarLong(0, 0);
    int dftLength = (int) ctx.scalarLong(1, 0);
    long sampleRate = ctx.scalarLong(2, 0);
    float lower = (float) ctx.scalarDouble(3, 0);
    float upper = (float) ctx.scalarDouble(4, 0);
    if (mels <= 0 || dftLength <= 0 || sampleRate <= 0) {
      throw ctx.error("num_mel_bins, dft_length and sample_rate must be positive");
    }
    int spectrogramBins = dftLength / 2 + 1;
    float lowMel = (float) (2595 * Math.log10(1 + lower / 700f));
    float highMel = (float) (2595 * Math.log10(1 + upper / 700f));
    float step = (highMel - lowMel) / (mels + 2);
    int[] bins = new int[mels + 2];
    for (int i = 0; i < bins.length; i++) {
      float mel = i * step + lowMel;
      float hz = (float) (700 * (Math.pow(10, mel / 2595f) - 1));
      bins[i] = (int) Math.floor((dftLength + 1) * hz / sampleRate);
    }
    double[] out = new double[spectrogramBins * mels];
    for (int i = 0; i < mels; i++) {
      int lo = bins[i];
      int center = bins[i + 1];
      int hi = bins[i + 2];
      if (center == lo) {
        set(ctx, out, spectrogramBins, mels, center, i, 1);
      } else {
        for (int j = lo; j <= center; j++) {
          set(ctx, out, spectrogramBins, mels, j, i, (double) (j - lo) / (center - lo));
        }
      }
      for (int j = center; j < hi; j++) {
        set(ctx, out, spectrogramBins, mels, j, i, (double) (hi - j) / (hi - center));
      }
    }
    return NdArray.fromDoubles(DType.fromOnnx(ctx.attrInt("output_datatype")),
        new long[] {spectrogramBins, mels}, out);
  }

  private static void set(KernelContext ctx, double[] out, int rows, int cols, int row, int col,
      double v) {
    if (row < 0 || row >= rows) {
      throw ctx.error("mel filter edge falls on bin " + row + ", outside the " + rows
          + " spectrogram bins");
    }
    out[row * cols + col] = v;
  }
}
