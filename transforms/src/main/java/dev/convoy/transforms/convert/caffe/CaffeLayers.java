package dev.convoy.transforms.convert.caffe;

import static dev.convoy.transforms.convert.ImportGraphBuilder.attrs;

import caffe.Caffe;
import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Caffe layers as standard ONNX ops (opset 13), each with Caffe's test-phase semantics: weights
 * in Caffe's layouts (which are ONNX's), pooling sizes rounded as Caffe rounds them, BatchNorm
 * statistics divided by their moving-average factor, Dropout as the identity.
 */
final class CaffeLayers {
  /** The layer types this importer reads. */
  static final List<String> SUPPORTED = List.copyOf(new TreeSet<>(List.of(
      "Input", "Convolution", "Deconvolution", "InnerProduct", "Pooling", "ReLU", "PReLU", "ELU",
      "Sigmoid", "TanH", "AbsVal", "Power", "BatchNorm", "Scale", "Bias", "Eltwise", "Concat",
      "Slice", "Split", "Flatten", "Reshape", "Softmax", "LRN", "Dropout", "Permute", "Normalize",
      "Silence")));

  private final CaffeGraphBuilder b;

  CaffeLayers(CaffeGraphBuilder builder) {
    this.b = builder;
  }

  /** Converts one layer; returns the values of its tops, in order. */
  List<Value> convert(Caffe.LayerParameter l, List<Value> in) {
    String name = l.getName();
    String top = l.getTopCount() > 0 ? l.getTop(0) : name;
    return switch (l.getType()) {
      case "Convolution" -> List.of(convolution(l, in.get(0), false));
      case "Deconvolution" -> List.of(convolution(l, in.get(0), true));
      case "InnerProduct" -> List.of(innerProduct(l, in.get(0)));
      case "Pooling" -> List.of(pooling(l, in.get(0)));
      case "ReLU" -> {
        float slope = l.getReluParam().getNegativeSlope();
        yield List.of(slope == 0f
            ? b.node(name, "Relu", in, null, top)
            : b.node(name, "LeakyRelu", in, attrs("alpha", slope), top));
      }
      case "PReLU" -> List.of(prelu(l, in.get(0)));
      case "ELU" -> List.of(b.node(name, "Elu", in, attrs("alpha", l.getEluParam().getAlpha()), top));
      case "Sigmoid" -> List.of(b.node(name, "Sigmoid", in, null, top));
      case "TanH" -> List.of(b.node(name, "Tanh", in, null, top));
      case "AbsVal" -> List.of(b.node(name, "Abs", in, null, top));
      case "Power" -> List.of(power(l, in.get(0)));
      case "BatchNorm" -> List.of(batchNorm(l, in.get(0)));
      case "Scale" -> List.of(scaleOrBias(l, in, true));
      case "Bias" -> List.of(scaleOrBias(l, in, false));
      case "Eltwise" -> List.of(eltwise(l, in));
      case "Concat" -> {
        int axis = l.getConcatParam().hasConcatDim() && !l.getConcatParam().hasAxis()
            ? l.getConcatParam().getConcatDim() : l.getConcatParam().getAxis();
        yield List.of(b.node(name, "Concat", in,
            attrs("axis", axis(l, in.get(0), axis)), top));
      }
      case "Slice" -> slice(l, in.get(0));
      case "Split" -> Collections.nCopies(l.getTopCount(), in.get(0));
      case "Dropout" -> List.of(in.get(0));
      case "Silence" -> List.of();
      case "Flatten" -> List.of(flatten(l, in.get(0)));
      case "Reshape" -> List.of(reshape(l, in.get(0)));
      case "Softmax" -> List.of(b.node(name, "Softmax", in,
          attrs("axis", axis(l, in.get(0), l.getSoftmaxParam().getAxis())), top));
      case "LRN" -> List.of(lrn(l, in.get(0)));
      case "Permute" -> List.of(permute(l, in.get(0)));
      case "Normalize" -> List.of(normalize(l, in.get(0)));
      default -> throw new UnsupportedOpException(b.prototxt + ": layer '" + name
          + "' has type '" + l.getType() + "', which the Caffe importer does not read"
          + " (it reads " + String.join(", ", SUPPORTED) + ")");
    };
  }

  private long axis(Caffe.LayerParameter l, Value v, long axis) {
    int rank = b.rank(l, v);
    long a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank) {
      throw b.structural(l, "axis " + axis + " is out of range for its rank-" + rank + " input");
    }
    return a;
  }

  // ---- convolution and inner product ----

  private Value convolution(Caffe.LayerParameter l, Value x, boolean transposed) {
    Caffe.ConvolutionParameter p = l.getConvolutionParam();
    if (p.getAxis() != 1) {
      throw b.structural(l, "has channel axis " + p.getAxis() + "; only axis 1 is read");
    }
    int spatial = b.rank(l, x) - 2;
    if (spatial < 1) {
      throw b.structural(l, "needs an input of rank 3 or more, found " + x.type());
    }
    long[] kernel = spatialParam(l, "kernel", p.getKernelSizeList(), p.hasKernelH(),
        p.getKernelH(), p.getKernelW(), spatial, -1);
    long[] stride = spatialParam(l, "stride", p.getStrideList(), p.hasStrideH(),
        p.getStrideH(), p.getStrideW(), spatial, 1);
    long[] pad = spatialParam(l, "pad", p.getPadList(), p.hasPadH(), p.getPadH(), p.getPadW(),
        spatial, 0);
    long[] dilation = spatialParam(l, "dilation", p.getDilationList(), false, 0, 0, spatial, 1);
    long group = p.getGroup();
    long channels = b.dim(l, x, 1);
    long out = p.getNumOutput();
    if (out <= 0 || group <= 0 || channels % group != 0 || out % group != 0) {
      throw b.structural(l, "num_output " + out + " and input channels " + channels
          + " must both be positive multiples of group " + group);
    }
    long[] wShape = new long[spatial + 2];
    wShape[0] = transposed ? channels : out;
    wShape[1] = transposed ? out / group : channels / group;
    System.arraycopy(kernel, 0, wShape, 2, spatial);
    List<Tensor> blobs = p.getBiasTerm()
        ? b.blobs(l, wShape, new long[] {out}) : b.blobs(l, wShape);
    List<Value> ins = new ArrayList<>();
    ins.add(x);
    ins.add(b.constant(l.getName() + "/weight", blobs.get(0)));
    if (p.getBiasTerm()) {
      ins.add(b.constant(l.getName() + "/bias", blobs.get(1)));
    }
    long[] pads = new long[2 * spatial];
    System.arraycopy(pad, 0, pads, 0, spatial);
    System.arraycopy(pad, 0, pads, spatial, spatial);
    return b.node(l.getName(), transposed ? "ConvTranspose" : "Conv", ins,
        attrs("kernel_shape", kernel, "strides", stride, "pads", pads, "dilations", dilation,
            "group", group), l.getTop(0));
  }

  /**
   * A per-axis parameter given as Caffe allows: the 2-D {@code _h}/{@code _w} pair, one value
   * for every axis, or one value per axis; {@code dflt} when absent (-1: required).
   */
  private long[] spatialParam(Caffe.LayerParameter l, String what, List<Integer> values,
      boolean hasHw, int h, int w, int spatial, long dflt) {
    long[] out = new long[spatial];
    if (hasHw) {
      if (spatial != 2) {
        throw b.structural(l, what + "_h/" + what + "_w apply to 2-D inputs only");
      }
      out[0] = h;
      out[1] = w;
    } else if (values.size() == 1) {
      Arrays.fill(out, values.get(0));
    } else if (values.size() == spatial) {
      for (int i = 0; i < spatial; i++) {
        out[i] = values.get(i);
      }
    } else if (values.isEmpty() && dflt >= 0) {
      Arrays.fill(out, dflt);
    } else {
      throw b.structural(l, "gives " + values.size() + " " + what + " values for " + spatial
          + " spatial axes");
    }
    return out;
  }

  private Value innerProduct(Caffe.LayerParameter l, Value x) {
    Caffe.InnerProductParameter p = l.getInnerProductParam();
    int rank = b.rank(l, x);
    int axis = (int) axis(l, x, p.getAxis());
    long k = 1;
    for (int i = axis; i < rank; i++) {
      k *= b.dim(l, x, i);
    }
    long n = p.getNumOutput();
    long[] wShape = p.getTranspose() ? new long[] {k, n} : new long[] {n, k};
    List<Tensor> blobs = p.getBiasTerm()
        ? b.blobs(l, wShape, new long[] {n}) : b.blobs(l, wShape);
    Value w = b.constant(l.getName() + "/weight", blobs.get(0));
    String top = l.getTop(0);
    if (axis == 1) {
      Value flat = rank == 2 ? x
          : b.node(l.getName() + "/flatten", "Flatten", List.of(x), attrs("axis", 1L), top + "/flat");
      List<Value> ins = new ArrayList<>(List.of(flat, w));
      if (p.getBiasTerm()) {
        ins.add(b.constant(l.getName() + "/bias", blobs.get(1)));
      }
      return b.node(l.getName(), "Gemm", ins, attrs("transB", p.getTranspose() ? 0L : 1L), top);
    }
    // Leading axes kept: [d0 .. d(axis-1), K] x [K, N].
    long[] shape = new long[axis + 1];
    shape[axis] = -1;
    Value flat = b.node(l.getName() + "/flatten", "Reshape",
        List.of(x, b.int64s(l.getName() + "/flat_shape", shape)), null, top + "/flat");
    Value wk = p.getTranspose() ? w
        : b.node(l.getName() + "/weight_t", "Transpose", List.of(w), attrs("perm", new long[] {1, 0}),
            l.getName() + "/weight_t");
    Value y = b.node(l.getName(), "MatMul", List.of(flat, wk), null,
        p.getBiasTerm() ? top + "/matmul" : top);
    return p.getBiasTerm()
        ? b.node(l.getName() + "/bias_add", "Add",
            List.of(y, b.constant(l.getName() + "/bias", blobs.get(1))), null, top)
        : y;
  }

  // ---- pooling ----

  private Value pooling(Caffe.LayerParameter l, Value x) {
    Caffe.PoolingParameter p = l.getPoolingParam();
    if (p.getPool() == Caffe.PoolingParameter.PoolMethod.STOCHASTIC) {
      throw new UnsupportedOpException(b.prototxt + ": layer '" + l.getName()
          + "' uses STOCHASTIC pooling, which the Caffe importer does not read");
    }
    boolean max = p.getPool() == Caffe.PoolingParameter.PoolMethod.MAX;
    String top = l.getTop(0);
    if (b.rank(l, x) != 4) {
      throw b.structural(l, "needs a 4-D input, found " + x.type());
    }
    if (p.getGlobalPooling()) {
      return b.node(l.getName(), max ? "GlobalMaxPool" : "GlobalAveragePool", List.of(x), null, top);
    }
    long[] kernel = hw(l, p.hasKernelH(), p.getKernelH(), p.getKernelW(), p.hasKernelSize(),
        p.getKernelSize(), "kernel");
    long[] stride = hw(l, p.hasStrideH(), p.getStrideH(), p.getStrideW(), true, p.getStride(),
        "stride");
    long[] pad = hw(l, p.hasPadH(), p.getPadH(), p.getPadW(), true, p.getPad(), "pad");
    boolean roundDown = CaffeSchema.roundsDown(p);
    CaffePooling[] axes = new CaffePooling[2];
    for (int i = 0; i < 2; i++) {
      try {
        axes[i] = CaffePooling.of(b.dim(l, x, 2 + i), kernel[i], stride[i], pad[i], roundDown);
      } catch (IllegalArgumentException e) {
        throw b.structural(l, (i == 0 ? "height" : "width") + ": " + e.getMessage());
      }
    }
    boolean overhang = axes[0].overhang() || axes[1].overhang();
    boolean padded = pad[0] > 0 || pad[1] > 0;
    Value in = x;
    long[] pads = {pad[0], pad[1], axes[0].padEnd(), axes[1].padEnd()};
    long countIncludePad = 1;
    if (!max && overhang) {
      // Caffe divides by the window clipped to the input plus its padding; ONNX can exclude
      // all padding or none. Zero-pad explicitly, then exclude only the overhang.
      countIncludePad = 0;
      if (padded) {
        in = b.node(l.getName() + "/pad", "Pad", List.of(x, b.int64s(l.getName() + "/pads",
            0, 0, pad[0], pad[1], 0, 0, pad[0], pad[1])), attrs("mode", "constant"), top + "/padded");
        pads = new long[] {0, 0, Math.max(0, axes[0].padEnd() - pad[0]),
            Math.max(0, axes[1].padEnd() - pad[1])};
      }
    }
    return max
        ? b.node(l.getName(), "MaxPool", List.of(in),
            attrs("kernel_shape", kernel, "strides", stride, "pads", pads), top)
        : b.node(l.getName(), "AveragePool", List.of(in),
            attrs("kernel_shape", kernel, "strides", stride, "pads", pads,
                "count_include_pad", countIncludePad), top);
  }

  private long[] hw(Caffe.LayerParameter l, boolean hasHw, int h, int w, boolean hasOne, int one,
      String what) {
    if (hasHw) {
      return new long[] {h, w};
    }
    if (!hasOne) {
      throw b.structural(l, "gives no " + what + " size (" + what + "_size or "
          + what + "_h and " + what + "_w)");
    }
    return new long[] {one, one};
  }

  // ---- elementwise and normalization ----

  private Value prelu(Caffe.LayerParameter l, Value x) {
    boolean shared = l.getPreluParam().getChannelShared();
    long c = shared ? 1 : b.dim(l, x, 1);
    Tensor slope = b.blobs(l, new long[] {c}).get(0);
    return b.node(l.getName(), "PRelu",
        List.of(x, b.constant(l.getName() + "/slope", channelTensor(l, x, slope, shared))),
        null, l.getTop(0));
  }

  /** A per-channel [C] tensor reshaped to broadcast over axis 1: [C, 1, ...]; [1] stays. */
  private Tensor channelTensor(Caffe.LayerParameter l, Value x, Tensor t, boolean scalar) {
    if (scalar) {
      return t;
    }
    long[] dims = new long[b.rank(l, x) - 1];
    Arrays.fill(dims, 1);
    dims[0] = t.numElements();
    return Tensor.of(t.dtype(), dims, t.data());
  }

  private Value power(Caffe.LayerParameter l, Value x) {
    Caffe.PowerParameter p = l.getPowerParam();
    String n = l.getName();
    String top = l.getTop(0);
    Value v = x;
    if (p.getScale() != 1f) {
      v = b.node(n + "/scale", "Mul", List.of(v, scalar(n + "/scale_value", p.getScale())), null,
          top + "/scaled");
    }
    if (p.getShift() != 0f) {
      v = b.node(n + "/shift", "Add", List.of(v, scalar(n + "/shift_value", p.getShift())), null,
          top + "/shifted");
    }
    if (p.getPower() != 1f) {
      v = b.node(n, "Pow", List.of(v, scalar(n + "/power", p.getPower())), null, top);
    }
    return v == x ? b.node(n, "Identity", List.of(x), null, top) : v;
  }

  private Value scalar(String name, float value) {
    return b.constant(name, Tensor.ofFloats(new long[0], value));
  }

  private Value batchNorm(Caffe.LayerParameter l, Value x) {
    long c = b.dim(l, x, 1);
    List<Tensor> blobs = b.blobs(l, new long[] {c}, new long[] {c}, new long[] {1});
    float factor = blobs.get(2).toFloatArray()[0];
    // Caffe stores running sums; the statistics are the sums over the factor (0 stays 0).
    float inv = factor == 0f ? 0f : 1f / factor;
    float[] mean = blobs.get(0).toFloatArray();
    float[] var = blobs.get(1).toFloatArray();
    float[] ones = new float[(int) c];
    float[] zeros = new float[(int) c];
    for (int i = 0; i < c; i++) {
      mean[i] *= inv;
      var[i] *= inv;
      ones[i] = 1f;
    }
    long[] dims = {c};
    String n = l.getName();
    return b.node(n, "BatchNormalization", List.of(x,
        b.constant(n + "/scale", Tensor.ofFloats(dims, ones)),
        b.constant(n + "/bias", Tensor.ofFloats(dims, zeros)),
        b.constant(n + "/mean", Tensor.ofFloats(dims, mean)),
        b.constant(n + "/variance", Tensor.ofFloats(dims, var))),
        attrs("epsilon", l.getBatchNormParam().getEps()), l.getTop(0));
  }

  /**
   * Scale (x * s [+ bias]) and Bias (x + bias): the operand's shape covers input axes
   * [axis, axis + num_axes), from the second bottom or a blob; it is reshaped to broadcast.
   */
  private Value scaleOrBias(Caffe.LayerParameter l, List<Value> in, boolean scale) {
    Value x = in.get(0);
    int rank = b.rank(l, x);
    int axisParam = scale ? l.getScaleParam().getAxis() : l.getBiasParam().getAxis();
    int numAxes = scale ? l.getScaleParam().getNumAxes() : l.getBiasParam().getNumAxes();
    boolean biasTerm = scale && l.getScaleParam().getBiasTerm();
    String n = l.getName();
    String top = l.getTop(0);
    int axis = (int) axis(l, x, axisParam);
    long[] operand;
    if (in.size() > 1) {
      operand = b.staticShape(l, in.get(1));
      numAxes = operand.length;
    } else {
      int end = numAxes < 0 ? rank : axis + numAxes;
      if (end > rank || numAxes < -1) {
        throw b.structural(l, "num_axes " + numAxes + " does not fit its rank-" + rank + " input");
      }
      operand = new long[end - axis];
      for (int i = axis; i < end; i++) {
        operand[i - axis] = b.dim(l, x, i);
      }
    }
    long[] bcast = new long[rank - axis];
    Arrays.fill(bcast, 1);
    System.arraycopy(operand, 0, bcast, 0, operand.length);
    Value s;
    List<Tensor> blobs;
    if (in.size() > 1) {
      s = b.node(n + "/operand", "Reshape", List.of(in.get(1), b.int64s(n + "/operand_shape", bcast)),
          null, top + "/operand");
      blobs = biasTerm ? b.blobs(l, operand) : List.of();
    } else {
      blobs = biasTerm ? b.blobs(l, operand, operand) : b.blobs(l, operand);
      Tensor t = blobs.get(0);
      s = b.constant(n + (scale ? "/scale" : "/bias"), Tensor.of(t.dtype(), bcast, t.data()));
    }
    if (!scale) {
      return b.node(n, "Add", List.of(x, s), null, top);
    }
    Value y = b.node(n, "Mul", List.of(x, s), null, biasTerm ? top + "/scaled" : top);
    if (!biasTerm) {
      return y;
    }
    Tensor bias = blobs.get(blobs.size() - 1);
    return b.node(n + "/bias_add", "Add",
        List.of(y, b.constant(n + "/bias", Tensor.of(bias.dtype(), bcast, bias.data()))), null, top);
  }

  private Value eltwise(Caffe.LayerParameter l, List<Value> in) {
    Caffe.EltwiseParameter p = l.getEltwiseParam();
    String n = l.getName();
    String top = l.getTop(0);
    if (in.size() < 2) {
      throw b.structural(l, "needs at least 2 bottoms, has " + in.size());
    }
    if (p.getOperation() == Caffe.EltwiseParameter.EltwiseOp.MAX) {
      return b.node(n, "Max", in, null, top);
    }
    boolean sum = p.getOperation() == Caffe.EltwiseParameter.EltwiseOp.SUM;
    if (p.getCoeffCount() > 0 && (!sum || p.getCoeffCount() != in.size())) {
      throw b.structural(l, "gives " + p.getCoeffCount() + " coefficients for " + in.size()
          + " bottoms" + (sum ? "" : "; only SUM takes coefficients"));
    }
    List<Value> terms = new ArrayList<>();
    for (int i = 0; i < in.size(); i++) {
      float c = p.getCoeffCount() > 0 ? p.getCoeff(i) : 1f;
      terms.add(c == 1f ? in.get(i) : b.node(n + "/coeff" + i, "Mul",
          List.of(in.get(i), scalar(n + "/coeff" + i, c)), null, top + "/term" + i));
    }
    // Caffe accumulates in bottom order; so does a left-to-right chain.
    Value acc = terms.get(0);
    for (int i = 1; i < terms.size(); i++) {
      boolean last = i == terms.size() - 1;
      acc = b.node(last ? n : n + "/acc" + i, sum ? "Add" : "Mul", List.of(acc, terms.get(i)), null,
          last ? top : top + "/acc" + i);
    }
    return acc;
  }

  private List<Value> slice(Caffe.LayerParameter l, Value x) {
    Caffe.SliceParameter p = l.getSliceParam();
    int axisParam = p.hasSliceDim() && !p.hasAxis() ? p.getSliceDim() : p.getAxis();
    int axis = (int) axis(l, x, axisParam);
    long size = b.dim(l, x, axis);
    int parts = l.getTopCount();
    long[] split = new long[parts];
    if (p.getSlicePointCount() > 0) {
      if (p.getSlicePointCount() != parts - 1) {
        throw b.structural(l, "has " + p.getSlicePointCount() + " slice points for " + parts
            + " tops");
      }
      long prev = 0;
      for (int i = 0; i < parts; i++) {
        long end = i < parts - 1 ? p.getSlicePoint(i) : size;
        if (end <= prev || end > size) {
          throw b.structural(l, "slice points must increase within the axis size " + size);
        }
        split[i] = end - prev;
        prev = end;
      }
    } else {
      if (size % parts != 0) {
        throw b.structural(l, "cannot split axis size " + size + " into " + parts + " equal parts");
      }
      Arrays.fill(split, size / parts);
    }
    return b.nodeN(l.getName(), "Split",
        List.of(x, b.int64s(l.getName() + "/split", split)), attrs("axis", (long) axis),
        l.getTopList());
  }

  private Value flatten(Caffe.LayerParameter l, Value x) {
    Caffe.FlattenParameter p = l.getFlattenParam();
    int rank = b.rank(l, x);
    int start = (int) axis(l, x, p.getAxis());
    int end = (int) axis(l, x, p.getEndAxis());
    if (end < start) {
      throw b.structural(l, "end_axis " + p.getEndAxis() + " comes before axis " + p.getAxis());
    }
    long[] shape = new long[start + 1 + rank - 1 - end];
    shape[start] = -1;
    for (int i = end + 1; i < rank; i++) {
      shape[start + 1 + i - end - 1] = b.dim(l, x, i);
    }
    return b.node(l.getName(), "Reshape", List.of(x, b.int64s(l.getName() + "/shape", shape)), null,
        l.getTop(0));
  }

  private Value reshape(Caffe.LayerParameter l, Value x) {
    Caffe.ReshapeParameter p = l.getReshapeParam();
    int rank = b.rank(l, x);
    int start = p.getAxis() >= 0 ? p.getAxis() : rank + p.getAxis() + 1;
    int end = p.getNumAxes() == -1 ? rank : start + p.getNumAxes();
    if (start < 0 || start > rank || end < start || end > rank) {
      throw b.structural(l, "axis " + p.getAxis() + " / num_axes " + p.getNumAxes()
          + " do not fit its rank-" + rank + " input");
    }
    List<Long> spec = p.getShape().getDimList();
    long[] shape = new long[start + spec.size() + rank - end];
    // ONNX Reshape copies a 0 from the same output position, which for the leading axes and
    // Caffe's 0s (input axis start+i) is the axis Caffe copies.
    for (int i = 0; i < spec.size(); i++) {
      shape[start + i] = spec.get(i);
    }
    for (int i = end; i < rank; i++) {
      int at = start + spec.size() + i - end;
      shape[at] = at == i ? 0 : b.dim(l, x, i);
    }
    return b.node(l.getName(), "Reshape", List.of(x, b.int64s(l.getName() + "/shape", shape)), null,
        l.getTop(0));
  }

  private Value lrn(Caffe.LayerParameter l, Value x) {
    Caffe.LRNParameter p = l.getLrnParam();
    long size = p.getLocalSize();
    if (size % 2 == 0) {
      throw b.structural(l, "local_size " + size + " is even; Caffe requires an odd size");
    }
    String n = l.getName();
    String top = l.getTop(0);
    if (p.getNormRegion() == Caffe.LRNParameter.NormRegion.ACROSS_CHANNELS) {
      return b.node(n, "LRN", List.of(x), attrs("size", size, "alpha", p.getAlpha(),
          "beta", p.getBeta(), "bias", p.getK()), top);
    }
    // WITHIN_CHANNEL: x / (1 + alpha/size^2 * sum of x^2 over a size x size window)^beta, the
    // window zero-padded and always divided by size^2 (as Caffe's AVE pooling does here).
    long pad = (size - 1) / 2;
    Value sq = b.node(n + "/square", "Mul", List.of(x, x), null, top + "/square");
    Value avg = b.node(n + "/window", "AveragePool", List.of(sq), attrs("kernel_shape",
        new long[] {size, size}, "pads", new long[] {pad, pad, pad, pad}, "count_include_pad", 1L),
        top + "/window");
    Value scaled = b.node(n + "/alpha", "Mul", List.of(avg, scalar(n + "/alpha", p.getAlpha())),
        null, top + "/alpha");
    Value shifted = b.node(n + "/k", "Add", List.of(scaled, scalar(n + "/one", 1f)), null,
        top + "/shifted");
    Value den = b.node(n + "/beta", "Pow", List.of(shifted, scalar(n + "/beta", p.getBeta())), null,
        top + "/den");
    return b.node(n, "Div", List.of(x, den), null, top);
  }

  private Value permute(Caffe.LayerParameter l, Value x) {
    int rank = b.rank(l, x);
    List<Integer> given = CaffeSchema.permuteOrder(l);
    long[] perm = new long[rank];
    boolean[] used = new boolean[rank];
    int k = 0;
    for (int a : given) {
      if (a < 0 || a >= rank || used[a]) {
        throw b.structural(l, "permute order " + given + " is not a permutation of its "
            + rank + " axes");
      }
      used[a] = true;
      perm[k++] = a;
    }
    // Caffe appends the axes the order leaves out, in increasing order.
    for (int a = 0; a < rank; a++) {
      if (!used[a]) {
        perm[k++] = a;
      }
    }
    return b.node(l.getName(), "Transpose", List.of(x), attrs("perm", perm), l.getTop(0));
  }

  /** SSD's Normalize: x / sqrt(sum of x^2 + eps) times a learned scale. */
  private Value normalize(Caffe.LayerParameter l, Value x) {
    CaffeSchema.Normalize p = CaffeSchema.normalize(l);
    int rank = b.rank(l, x);
    long c = p.channelShared() ? 1 : b.dim(l, x, 1);
    Tensor scale = b.blobs(l, new long[] {c}).get(0);
    long[] axes = p.acrossSpatial() ? new long[rank - 1] : new long[] {1};
    for (int i = 0; p.acrossSpatial() && i < rank - 1; i++) {
      axes[i] = i + 1;
    }
    String n = l.getName();
    String top = l.getTop(0);
    Value ss = b.node(n + "/sumsq", "ReduceSumSquare", List.of(x),
        attrs("axes", axes, "keepdims", 1L), top + "/sumsq");
    Value eps = b.node(n + "/eps", "Add", List.of(ss, scalar(n + "/eps", p.eps())), null,
        top + "/sumsq_eps");
    Value norm = b.node(n + "/norm", "Sqrt", List.of(eps), null, top + "/norm");
    Value unit = b.node(n + "/div", "Div", List.of(x, norm), null, top + "/unit");
    return b.node(n, "Mul", List.of(unit,
        b.constant(n + "/scale", channelTensor(l, x, scale, p.channelShared()))), null, top);
  }

  static Map<String, Long> opsets() {
    return Map.of("", 13L);
  }
}
