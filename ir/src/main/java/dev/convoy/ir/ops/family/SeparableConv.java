package dev.convoy.ir.ops.family;

import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.InferenceContext;
import dev.convoy.ir.ops.KernelContext;
import dev.convoy.ir.ops.Kernels;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.NodeContext;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.OpFamily;
import dev.convoy.ir.ops.OpRegistrar;
import dev.convoy.ir.ops.ShapeFns;
import dev.convoy.ir.ops.runtime.Blas;
import dev.convoy.ir.ops.runtime.Depthwise;
import dev.convoy.ir.ops.runtime.NhwcGemm;
import dev.convoy.ir.ops.runtime.Parallel;
import dev.convoy.ir.ops.runtime.Scratch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code convoy::SeparableConv(X, We?, Be?, Wd, Bd?, Wp, Bp?, Z?)}, which {@code
 * fuse-separable-conv} writes for the depthwise-separable blocks of MobileNet and ShuffleNet: an
 * optional pointwise expansion {@code act_e(Conv1x1(X, We) + Be)}, a 2-D depthwise convolution
 * {@code act_d(Conv(., Wd, group = channels) + Bd)} with this node's {@code strides}, {@code
 * pads}, {@code dilations} and {@code auto_pad}, then a pointwise projection {@code
 * act(Conv1x1(., Wp) + Bp + Z)}, all float32 NCHW in and out. The activations are {@code
 * expand_activation}, {@code depthwise_activation} and {@code activation}, each with its {@code
 * *_params}, spelled as FusedConv's.
 *
 * <p>Inside, the block runs channels-last, one image at a time: the input is transposed once to
 * {@code [pixels, C]}, the expansion and the projection are {@link NhwcGemm} products (four
 * pixels by up to four vectors of output channels in registers) and the depthwise convolution
 * {@link Depthwise}'s rows (vectors along the channels): in NCHW the 7x7 and 14x14 planes of
 * these blocks leave most of every vector loop to its scalar tail. The intermediates live in
 * per-thread scratch and never become tensors. Each term is summed as the separate convolutions
 * sum it (the products one fused multiply-add per term in channel order from zero, then the bias;
 * the depthwise taps in kernel order; the residual after the bias, the activation last), so the
 * result equals the three FusedConv nodes' bit for bit.
 */
public final class SeparableConv implements OpFamily {
  private static final String[] ACTIVATIONS = {"expand_activation", "depthwise_activation",
      "activation"};

  @Override
  public void register(OpRegistrar r) {
    var op = r.op(OpCatalog.CONVOY_DOMAIN, "SeparableConv", 1).inputs(6, 8)
        .attr("auto_pad", "NOTSET").optionalAttr("dilations").optionalAttr("pads")
        .optionalAttr("strides");
    for (String a : ACTIVATIONS) {
      op = op.attr(a, "").optionalAttr(a + "_params");
    }
    op.shape(SeparableConv::shape).kernel(ctx -> Kernels.one(separable(ctx)));
  }

  /** {@code [N, Wp's output channels, the depthwise convolution's output size]}. */
  private static List<ValueType> shape(InferenceContext ctx) {
    Shape x = ctx.shape(0);
    Shape wd = ctx.shape(3);
    Shape wp = ctx.shape(5);
    DType t = ctx.dtype(0);
    if (x == null || !x.hasRank() || x.rank() != 4) {
      return ShapeFns.tensor(t, Shape.unknownRank());
    }
    List<Dim> out = new ArrayList<>();
    out.add(x.dim(0));
    out.add(wp != null && wp.hasRank() && wp.rank() == 4 ? wp.dim(0) : Dim.UNKNOWN);
    long[] in = {staticSize(x.dim(2)), staticSize(x.dim(3))};
    long[] k = wd == null || !wd.hasRank() || wd.rank() != 4 ? null
        : new long[] {staticSize(wd.dim(2)), staticSize(wd.dim(3))};
    if (k == null || in[0] < 0 || in[1] < 0 || k[0] < 0 || k[1] < 0) {
      out.add(Dim.UNKNOWN);
      out.add(Dim.UNKNOWN);
    } else {
      for (long o : Conv.convGeometry(ctx, in, k).out()) {
        out.add(Dim.of(o));
      }
    }
    return ShapeFns.tensor(t, Shape.of(out));
  }

  private static long staticSize(Dim d) {
    return d.isStatic() ? d.size() : -1;
  }

  /** The activation of attribute {@code name} and its {@code name_params}. */
  private static Activation activation(NodeContext ctx, String name) {
    return Activation.named(ctx, ctx.attrString(name), ctx.attrFloats(name + "_params"));
  }

  /** What a derived weight was made for (the storage may be shared by a reshape). */
  private record Form(String what, int rows, int cols) {}

  private static NdArray separable(KernelContext ctx) {
    NdArray x = ctx.tensor(0);
    NdArray we = ctx.optionalTensor(1);
    NdArray wd = ctx.tensor(3);
    NdArray wp = ctx.tensor(5);
    NdArray z = ctx.inputCount() > 7 ? ctx.optionalTensor(7) : null;
    for (NdArray a : new NdArray[] {x, we, wd, wp, z}) {
      if (a != null && a.dtype() != DType.FLOAT) {
        throw ctx.unsupportedType(a.dtype());
      }
    }
    if (x.rank() != 4 || wd.rank() != 4 || wp.rank() != 4 || we != null && we.rank() != 4) {
      throw ctx.error("input " + x.describe() + " and weights must be 4-D (NCHW, OIHW)");
    }
    int n = (int) x.dim(0);
    int c = (int) x.dim(1);
    int ih = (int) x.dim(2);
    int iw = (int) x.dim(3);
    int m = we == null ? c : (int) we.dim(0);
    if (we != null && (we.dim(1) != c || we.dim(2) != 1 || we.dim(3) != 1)) {
      throw ctx.error("expansion weight " + we.describe() + " must be [M, " + c + ", 1, 1]");
    }
    if (wd.dim(0) != m || wd.dim(1) != 1) {
      throw ctx.error("depthwise weight " + wd.describe() + " must be [" + m + ", 1, kh, kw]");
    }
    int q = (int) wp.dim(0);
    if (wp.dim(1) != m || wp.dim(2) != 1 || wp.dim(3) != 1) {
      throw ctx.error("projection weight " + wp.describe() + " must be [Q, " + m + ", 1, 1]");
    }
    int kh = (int) wd.dim(2);
    int kw = (int) wd.dim(3);
    Conv.Geometry geo = Conv.convGeometry(ctx, new long[] {ih, iw}, new long[] {kh, kw});
    int oh = (int) geo.out()[0];
    int ow = (int) geo.out()[1];
    long[] outDims = {n, q, oh, ow};
    if (z != null && !Arrays.equals(z.dims(), outDims)) {
      throw ctx.error("Z " + z.describe() + " must have the output's shape "
          + Arrays.toString(outDims));
    }
    float[] be = bias(ctx, 2, m);
    float[] bd = bias(ctx, 4, m);
    float[] bp = bias(ctx, 6, q);
    NhwcGemm.Packed pe = null;
    if (we != null) {
      float[] w = we.floats();
      pe = ctx.weightForm(1, w, new Form("expand", c, m),
          () -> NhwcGemm.pack(Blas.transpose(w, 0, m, c), c, m, 1));
    }
    float[] wdf = wd.floats();
    float[] dw = ctx.weightForm(3, wdf, new Form("hwio", kh * kw, m),
        () -> Blas.transpose(wdf, 0, m, kh * kw));
    float[] wpf = wp.floats();
    NhwcGemm.Packed pp = ctx.weightForm(5, wpf, new Form("project", m, q),
        () -> NhwcGemm.pack(Blas.transpose(wpf, 0, q, m), m, q, 1));
    Depthwise.Geometry g = new Depthwise.Geometry(1, ih, iw, m, kh, kw, oh, ow,
        (int) geo.strides()[0], (int) geo.strides()[1], (int) geo.dilations()[0],
        (int) geo.dilations()[1], (int) geo.padBegin()[0], (int) geo.padBegin()[1]);
    Block b = new Block(c, m, q, ih * iw, oh * ow, g, pe, be, dw, bd, pp, bp,
        activation(ctx, ACTIVATIONS[0]), activation(ctx, ACTIVATIONS[1]),
        activation(ctx, ACTIVATIONS[2]));
    NdArray out = ctx.output(0, DType.FLOAT, outDims);
    float[] xs = (float[]) x.array();
    float[] ys = (float[]) out.array();
    float[] zs = z == null ? null : (float[]) z.array();
    for (int img = 0; img < n; img++) {
      int z0 = z == null ? 0 : z.offset() + img * q * b.outPixels;
      b.run(xs, x.offset() + img * c * b.inPixels, zs, z0, ys,
          out.offset() + img * q * b.outPixels, ctx.parallel());
    }
    return out;
  }

  /** Optional input {@code i}, a bias of {@code m} floats, or null. */
  private static float[] bias(KernelContext ctx, int i, int m) {
    NdArray b = ctx.optionalTensor(i);
    if (b == null) {
      return null;
    }
    if (b.dtype() != DType.FLOAT || b.size() != m) {
      throw ctx.error("bias (input " + i + ") " + b.describe() + " must be " + m + " float32");
    }
    return b.toFloats();
  }

  /** Output pixels per task of the products (a block of rows stays in L2). */
  private static final int PIXEL_BLOCK = 64;

  /** One image's block: sizes, the derived weights, biases (null when absent), activations. */
  private record Block(int c, int m, int q, int inPixels, int outPixels, Depthwise.Geometry g,
      NhwcGemm.Packed pe, float[] be, float[] dw, float[] bd, NhwcGemm.Packed pp, float[] bp,
      Activation actE, Activation actD, Activation act) {

    /**
     * Image {@code x[x0..]} (NCHW) into {@code y[y0..]} (NCHW), with residual {@code z[z0..]}
     * when {@code z} is not null.
     */
    void run(float[] x, int x0, float[] z, int z0, float[] y, int y0, Parallel par) {
      Scratch s = Scratch.get();
      // Channels-last input, then (with an expansion) its product: [inPixels, m].
      float[] e = s.temporary(inPixels * m);
      float[] d = s.col(outPixels * m);
      if (pe == null) {
        toChannelsLast(x, x0, c, inPixels, e, par);
      } else {
        float[] xt = s.transposed(inPixels * c);
        toChannelsLast(x, x0, c, inPixels, xt, par);
        multiply(xt, c, inPixels, pe, be, actE, e, m, par);
      }
      par.forRange(g.oh(), (long) g.ow() * m * g.kh() * g.kw(), (from, to) -> {
        Depthwise.Taps taps = g.taps();
        for (int row = from; row < to; row++) {
          Depthwise.row(g, e, 0, dw, bd, row, taps, d, 0);
          actD.applyTo(d, row * g.ow() * m, (row + 1) * g.ow() * m);
        }
      });
      float[] yt = s.transposed(outPixels * q);
      multiply(d, m, outPixels, pp, bp, Activation.NONE, yt, q, par);
      // Back to NCHW: each output channel's plane from the channels-last rows, then the
      // residual after the bias (as FusedConv adds Z) and the activation over the plane.
      par.forRange(q, outPixels, (from, to) -> {
        for (int ch = from; ch < to; ch++) {
          int dst = y0 + ch * outPixels;
          for (int p = 0; p < outPixels; p++) {
            y[dst + p] = yt[p * q + ch];
          }
          if (z != null) {
            int zc = z0 + ch * outPixels;
            for (int p = 0; p < outPixels; p++) {
              y[dst + p] += z[zc + p];
            }
          }
          act.applyTo(y, dst, dst + outPixels);
        }
      });
    }

    /** {@code out[rows, cols] = act(a[rows, k] * w + bias)}, blocks of rows in parallel. */
    private static void multiply(float[] a, int k, int rows, NhwcGemm.Packed w, float[] bias,
        Activation act, float[] out, int cols, Parallel par) {
      int blocks = (rows + PIXEL_BLOCK - 1) / PIXEL_BLOCK;
      par.forRange(blocks, (long) PIXEL_BLOCK * k * cols, (from, to) -> {
        for (int bi = from; bi < to; bi++) {
          int p0 = bi * PIXEL_BLOCK;
          int len = Math.min(PIXEL_BLOCK, rows - p0);
          NhwcGemm.multiply(len, a, p0 * k, k, w, 0, bias, out, p0 * cols, cols);
          act.applyTo(out, p0 * cols, (p0 + len) * cols);
        }
      });
    }

    /** {@code x[x0..]} as {@code [channels, pixels]} into {@code t} as {@code [pixels, channels]}. */
    private static void toChannelsLast(float[] x, int x0, int channels, int pixels, float[] t,
        Parallel par) {
      par.forRange(channels, pixels, (from, to) -> {
        for (int ch = from; ch < to; ch++) {
          int src = x0 + ch * pixels;
          for (int p = 0; p < pixels; p++) {
            t[p * channels + ch] = x[src + p];
          }
        }
      });
    }
  }
}
