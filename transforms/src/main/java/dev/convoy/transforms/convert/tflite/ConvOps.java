package dev.convoy.transforms.convert.tflite;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Value;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.lite.schema.Conv2DOptions;
import org.tensorflow.lite.schema.DepthwiseConv2DOptions;
import org.tensorflow.lite.schema.Padding;
import org.tensorflow.lite.schema.Pool2DOptions;
import org.tensorflow.lite.schema.ResizeBilinearOptions;
import org.tensorflow.lite.schema.ResizeNearestNeighborOptions;
import org.tensorflow.lite.schema.TransposeConvOptions;

/**
 * The NHWC spatial operators (convolutions, pools, resizes) as NCHW ONNX ops between explicit
 * Transposes; weights are permuted from TFLite's OHWI / 1HWC layouts by Transposes on the
 * (integer) constants, which constant folding removes.
 */
final class ConvOps {
  private ConvOps() {}

  static void conv2d(Op op) {
    Conv2DOptions o = op.options(new Conv2DOptions());
    byte padding = o == null ? Padding.SAME : o.padding();
    int sh = o == null ? 1 : o.strideH();
    int sw = o == null ? 1 : o.strideW();
    int dh = o == null ? 1 : o.dilationHFactor();
    int dw = o == null ? 1 : o.dilationWFactor();
    long[] xs = op.e.shape(op.required(0));
    long[] ws = op.e.shape(op.required(1));
    long group = ws.length == 4 && ws[3] > 0 && xs.length == 4 ? xs[3] / ws[3] : 1;
    convolve(op, new int[] {0, 3, 1, 2}, ws[1], ws[2], sh, sw, dh, dw, padding, group,
        o == null ? 0 : o.fusedActivationFunction());
  }

  static void depthwise(Op op) {
    DepthwiseConv2DOptions o = op.options(new DepthwiseConv2DOptions());
    long[] xs = op.e.shape(op.required(0));
    long[] ws = op.e.shape(op.required(1));
    if (xs.length != 4 || ws.length != 4) {
      throw op.unsupported("input and filter must be 4-D");
    }
    convolve(op, new int[] {3, 0, 1, 2}, ws[1], ws[2], o.strideH(), o.strideW(), o.dilationHFactor(),
        o.dilationWFactor(), o.padding(), xs[3], o.fusedActivationFunction());
  }

  /** A convolution whose filter {@code perm} takes from TFLite's layout to ONNX's [M, C/g, kH, kW]. */
  private static void convolve(Op op, int[] perm, long kh, long kw, int sh, int sw, int dh, int dw,
      byte padding, long group, byte act) {
    long[] xs = op.e.shape(op.required(0));
    Map<String, Attribute> attrs = new LinkedHashMap<>();
    attrs.put("strides", new Attribute.IntsAttr(new long[] {sh, sw}));
    attrs.put("dilations", new Attribute.IntsAttr(new long[] {dh, dw}));
    attrs.put("pads", new Attribute.IntsAttr(pads(op, padding, xs, kh, kw, sh, sw, dh, dw)));
    attrs.put("group", new Attribute.IntAttr(group));
    if (IntegerKernels.applies(op, perm[0])) {
      IntegerKernels.conv(op, perm, attrs, act);
      return;
    }
    List<Value> ins = new ArrayList<>(List.of(op.e.toNchw(op.val(0)),
        op.e.weight(op.required(1), perm)));
    if (op.has(2)) {
      ins.add(op.val(2));
    }
    Value y = op.e.node("Conv", ins, attrs, op.e.tensorName(op.out(0)) + "_nchw");
    y = op.e.activation(y, act, op.where());
    op.define(0, op.e.toNhwc(y));
  }

  /** ONNX pads {top, left, bottom, right} reproducing TFLite's SAME / VALID on static H and W. */
  static long[] pads(Op op, byte padding, long[] nhwc, long kh, long kw, int sh, int sw, int dh,
      int dw) {
    if (padding == Padding.VALID) {
      return new long[] {0, 0, 0, 0};
    }
    if (nhwc.length != 4 || nhwc[1] < 0 || nhwc[2] < 0) {
      throw op.unsupported("SAME padding needs a static input height and width");
    }
    long[] h = same(nhwc[1], kh, sh, dh);
    long[] w = same(nhwc[2], kw, sw, dw);
    return new long[] {h[0], w[0], h[1], w[1]};
  }

  private static long[] same(long in, long k, int stride, int dilation) {
    long eff = (k - 1) * dilation + 1;
    long out = (in + stride - 1) / stride;
    long total = Math.max((out - 1) * stride + eff - in, 0);
    return new long[] {total / 2, total - total / 2};
  }

  /** TRANSPOSE_CONV: inputs output_shape, weights OHWI, input, optional bias. */
  static void transposeConv(Op op) {
    TransposeConvOptions o = op.options(new TransposeConvOptions());
    long[] outShape = op.e.constInts(op.required(0), "the output shape");
    transposed(op, 2, 1, op.has(3) ? 3 : -1, outShape, o.padding(), o.strideH(), o.strideW(),
        o.fusedActivationFunction());
  }

  /**
   * MediaPipe's custom {@code Convolution2DTransposeBias}: input, weights OHWI, bias; its custom
   * options are a raw {@code TfLiteTransposeConvParams} (padding enum 1 SAME / 2 VALID, stride
   * width, stride height as little-endian int32). The output size is TensorFlow's: input * stride
   * for SAME, (input - 1) * stride + kernel for VALID.
   */
  static void convolution2dTransposeBias(Op op) {
    ByteBuffer opts = op.customOptions();
    if (opts == null || opts.remaining() < 12) {
      throw op.unsupported("its custom options must hold padding and two strides (12 bytes)");
    }
    opts = opts.slice().order(ByteOrder.LITTLE_ENDIAN);
    int pad = opts.getInt(0);
    int sw = opts.getInt(4);
    int sh = opts.getInt(8);
    if ((pad != 1 && pad != 2) || sw <= 0 || sh <= 0) {
      throw op.unsupported("custom options padding " + pad + ", strides " + sw + "x" + sh
          + " are not a valid TfLiteTransposeConvParams");
    }
    byte padding = pad == 1 ? Padding.SAME : Padding.VALID;
    long[] xs = op.e.shape(op.required(0));
    long[] ws = op.e.shape(op.required(1));
    long oh = padding == Padding.SAME ? xs[1] * sh : (xs[1] - 1) * sh + ws[1];
    long ow = padding == Padding.SAME ? xs[2] * sw : (xs[2] - 1) * sw + ws[2];
    transposed(op, 0, 1, op.has(2) ? 2 : -1, new long[] {xs[0], oh, ow, ws[0]}, padding, sh, sw,
        (byte) 0);
  }

  private static void transposed(Op op, int xIn, int wIn, int bIn, long[] outShape, byte padding,
      int sh, int sw, byte act) {
    long[] xs = op.e.shape(op.required(xIn));
    long[] ws = op.e.shape(op.required(wIn));
    if (xs.length != 4 || ws.length != 4 || outShape.length != 4) {
      throw op.unsupported("input, filter and output shape must be 4-D");
    }
    long kh = ws[1];
    long kw = ws[2];
    long[] pads = new long[4];
    long[] outputPadding = new long[2];
    for (int d = 0; d < 2; d++) {
      long in = xs[1 + d];
      long out = outShape[1 + d];
      long k = d == 0 ? kh : kw;
      long s = d == 0 ? sh : sw;
      long full = (in - 1) * s + k;
      long total = padding == Padding.VALID ? 0 : Math.max(full - out, 0);
      pads[d] = total / 2;
      pads[2 + d] = total - total / 2;
      outputPadding[d] = out - (full - total);
      if (outputPadding[d] < 0 || outputPadding[d] >= s && outputPadding[d] > 0) {
        throw op.unsupported("output size " + out + " is not reachable from input " + in
            + " with stride " + s + " and kernel " + k);
      }
    }
    Map<String, Attribute> attrs = new LinkedHashMap<>();
    attrs.put("strides", new Attribute.IntsAttr(new long[] {sh, sw}));
    attrs.put("pads", new Attribute.IntsAttr(pads));
    attrs.put("output_padding", new Attribute.IntsAttr(outputPadding));
    // ConvTranspose weights are (C_in, C_out, kH, kW); TFLite's are (C_out, kH, kW, C_in).
    List<Value> ins = new ArrayList<>(List.of(op.e.toNchw(op.e.val(op.required(xIn))),
        op.e.weight(op.required(wIn), 3, 0, 1, 2)));
    if (bIn >= 0) {
      ins.add(op.e.val(op.in(bIn)));
    }
    Value y = op.e.node("ConvTranspose", ins, attrs, op.e.tensorName(op.out(0)) + "_nchw");
    y = op.e.activation(y, act, op.where());
    op.define(0, op.e.toNhwc(y));
  }

  static void pool(Op op, String onnxOp) {
    Pool2DOptions o = op.options(new Pool2DOptions());
    long[] xs = op.e.shape(op.required(0));
    Map<String, Attribute> attrs = new LinkedHashMap<>();
    attrs.put("kernel_shape", new Attribute.IntsAttr(
        new long[] {o.filterHeight(), o.filterWidth()}));
    attrs.put("strides", new Attribute.IntsAttr(new long[] {o.strideH(), o.strideW()}));
    attrs.put("pads", new Attribute.IntsAttr(pads(op, o.padding(), xs, o.filterHeight(),
        o.filterWidth(), o.strideH(), o.strideW(), 1, 1)));
    // TFLite averages over the window's in-bounds elements only.
    if (onnxOp.equals("AveragePool")) {
      attrs.put("count_include_pad", new Attribute.IntAttr(0));
      if (IntegerKernels.appliesToAveragePool(op)) {
        IntegerKernels.averagePool(op, attrs, o.fusedActivationFunction());
        return;
      }
    }
    Value y = op.e.node(onnxOp, List.of(op.e.toNchw(op.val(0))), attrs,
        op.e.tensorName(op.out(0)) + "_nchw");
    y = op.e.activation(y, o.fusedActivationFunction(), op.where());
    op.define(0, op.e.toNhwc(y));
  }

  static void resize(Op op, boolean bilinear) {
    boolean alignCorners;
    boolean halfPixel;
    if (bilinear) {
      ResizeBilinearOptions o = op.options(new ResizeBilinearOptions());
      alignCorners = o != null && o.alignCorners();
      halfPixel = o != null && o.halfPixelCenters();
    } else {
      ResizeNearestNeighborOptions o = op.options(new ResizeNearestNeighborOptions());
      alignCorners = o != null && o.alignCorners();
      halfPixel = o != null && o.halfPixelCenters();
    }
    long[] size = op.e.constInts(op.required(1), "the output size");
    long[] xs = op.e.shape(op.required(0));
    if (xs.length != 4 || size.length != 2 || xs[0] < 0 || xs[3] < 0) {
      throw op.unsupported("needs a 4-D input with static batch and channels and a 2-element size");
    }
    Map<String, Attribute> attrs = new LinkedHashMap<>();
    attrs.put("mode", Attribute.StringAttr.of(bilinear ? "linear" : "nearest"));
    String ctm = alignCorners ? "align_corners" : halfPixel ? "half_pixel" : "asymmetric";
    attrs.put("coordinate_transformation_mode", Attribute.StringAttr.of(ctm));
    if (!bilinear) {
      // TFLite rounds half up with align_corners or half-pixel centres, else floors.
      attrs.put("nearest_mode", Attribute.StringAttr.of(
          alignCorners || halfPixel ? "round_prefer_ceil" : "floor"));
    }
    Value sizes = op.e.constLongs(xs[0], xs[3], size[0], size[1]);
    List<Value> ins = new ArrayList<>();
    ins.add(op.e.toNchw(op.val(0)));
    ins.add(null);
    ins.add(null);
    ins.add(sizes);
    Value y = op.e.node("Resize", ins, attrs, op.e.tensorName(op.out(0)) + "_nchw");
    op.define(0, op.e.toNhwc(y));
  }

  static void depthToSpace(Op op, String onnxOp, int blockSize) {
    Map<String, Attribute> attrs = new LinkedHashMap<>();
    attrs.put("blocksize", new Attribute.IntAttr(blockSize));
    if (onnxOp.equals("DepthToSpace")) {
      // TensorFlow's depth_to_space orders the block before the channels (DCR).
      attrs.put("mode", Attribute.StringAttr.of("DCR"));
    }
    Value y = op.e.node(onnxOp, List.of(op.e.toNchw(op.val(0))), attrs,
        op.e.tensorName(op.out(0)) + "_nchw");
    op.define(0, op.e.toNhwc(y));
  }
}
