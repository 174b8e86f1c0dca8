package dev.convoy.ir.ops.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.eval.ShapeInference;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OneNode;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.RuntimeValue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The channels-last ops compute what their standard op computes on the transposed data: {@code
 * NhwcOp(Transpose(x, [0,2,3,1]))} equals {@code Transpose(Op(x), [0,2,3,1])} (NhwcConv's weight
 * transposed OIHW to HWIO), on seeded data, over each kernel path (depthwise, narrow and wide
 * GEMMs, groups, strides, dilations, pads, activations) and each pool's options. Window reductions
 * run in the standard kernels' order, so pools and LRN agree exactly (NaN included), and so do
 * convolutions: both layouts add a dense convolution's terms in (kh, kw, C) order with one fused
 * multiply-add each (NhwcGemm, Blas), and a depthwise one's taps in kernel order with a multiply
 * then an add; transposed convolutions within float rounding. Shape inference agrees with the
 * kernels.
 */
class NhwcOpsTest {
  private static final long[] TO_NHWC = {0, 2, 3, 1};

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = ';', value = {
      "depthwise 3x3 pad 1; 1; 8; 7; 9; 8; 3; 8; strides=[1,1], pads=[1,1,1,1]; Relu",
      "depthwise stride 2 asymmetric pads; 2; 16; 9; 6; 16; 3; 16; strides=[2,2], pads=[0,1,2,1];",
      "depthwise multiplier 2; 1; 4; 6; 6; 8; 3; 4; pads=[1,1,1,1];",
      "depthwise 5x5 pad 2 partial vector; 1; 24; 8; 9; 24; 5; 24; pads=[2,2,2,2]; HardSwish",
      "depthwise dilated stride 2; 1; 19; 10; 11; 19; 3; 19; strides=[2,2], dilations=[2,2], pads=[2,2,2,2]; Swish",
      "depthwise same upper; 1; 32; 5; 6; 32; 3; 32; auto_pad=SAME_UPPER, strides=[2,2]; Clip",
      "narrow pointwise; 2; 12; 5; 7; 16; 1; 1; ;",
      "narrow 3x3 dilated; 1; 6; 11; 10; 10; 3; 1; dilations=[2,2], pads=[2,2,2,2]; Clip",
      "wide pointwise; 1; 20; 6; 5; 96; 1; 1; ; Relu",
      "wide 3x3 stride 2; 1; 5; 13; 12; 64; 3; 1; strides=[2,2], pads=[1,1,1,1];",
      "grouped narrow; 2; 8; 6; 6; 12; 3; 2; pads=[1,1,1,1]; Sigmoid",
      "grouped wide; 1; 4; 5; 5; 128; 1; 2; ;",
      "same upper 5x5; 1; 3; 8; 9; 24; 5; 1; auto_pad=SAME_UPPER, strides=[2,2]; HardSwish",
      "strided pointwise; 1; 8; 9; 9; 70; 1; 1; strides=[2,2];",
      "pointwise partial vector and tile; 1; 10; 3; 7; 37; 1; 1; ; LeakyRelu",
      "3x3 over four panels; 1; 7; 6; 5; 116; 3; 1; pads=[1,1,1,1]; Relu",
      "grouped pointwise; 1; 9; 5; 5; 60; 1; 3; ; Swish",
      "dilated rows only; 1; 5; 9; 8; 20; 3; 1; dilations=[2,1], pads=[2,1,2,1]; Relu",
      "valid windows batch 2 (read in place); 2; 6; 7; 8; 33; 3; 1; strides=[2,1];",
      "padded below and right only; 1; 3; 6; 7; 40; 3; 1; pads=[0,0,2,3]; Relu",
      "one input channel 5x5; 1; 1; 11; 10; 64; 5; 1; pads=[2,2,2,2];",
      "pads wider than the reach; 1; 4; 5; 5; 24; 1; 1; strides=[2,2], pads=[1,2,3,1];",
      "RGB stem, patches read in place; 1; 3; 36; 36; 24; 3; 1; strides=[2,2], pads=[1,1,1,1]; Relu",
      "one-vector panel read in place; 1; 4; 12; 20; 16; 3; 1; pads=[1,1,1,1];",
      "dilated batch 2 read in place; 2; 5; 9; 14; 8; 3; 1; dilations=[2,2], pads=[1,1,1,1]; Clip",
      "three output channels, padding wider than a row; 1; 2; 6; 6; 3; 3; 1; pads=[1,1,1,1];",
      "pointwise to five channels; 1; 7; 5; 6; 5; 1; 1; ; Relu"})
  void nhwcConvIsConvOnTransposedData(String name, int n, int c, int h, int w, int m, int k,
      int group, String attrs, String activation) {
    Random rnd = new Random(name.hashCode());
    NdArray x = random(rnd, n, c, h, w);
    NdArray wt = random(rnd, m, c / group, k, k);
    NdArray b = random(rnd, m);
    Map<String, Attribute> a = attrs(attrs);
    a.put("group", Attribute.of((long) group));
    Map<String, Attribute> fused = new LinkedHashMap<>(a);
    String act = activation == null ? "" : activation;
    fused.put("activation", Attribute.StringAttr.of(act));
    if (act.equals("Clip")) {
      fused.put("activation_params", new Attribute.FloatsAttr(new float[] {-0.2f, 0.3f}));
    }
    NdArray want = transpose(run("convoy", "FusedConv", fused, x, wt, b), TO_NHWC);
    NdArray got = run("convoy", "NhwcConv", fused, transpose(x, TO_NHWC),
        transpose(wt, new long[] {2, 3, 1, 0}), b);
    assertArrayEquals(want.dims(), got.dims());
    assertArrayEquals(want.floats(), got.floats());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = ';', value = {
      "stride 2 kernel 2; 6; 8; 5; strides=[2,2]",
      "stride 3 kernel 3, one output channel; 4; 1; 3; strides=[3,3]",
      "stride 2 kernel 2, wide output; 3; 70; 2; strides=[2,2]",
      "stride 2 kernel 3 padded; 5; 70; 3; strides=[2,2], pads=[1,1,1,1], output_padding=[1,1]",
      "dilated; 3; 4; 3; dilations=[2,2], pads=[0,1,1,0]",
      "same upper; 4; 9; 3; strides=[2,2], auto_pad=SAME_UPPER"})
  void nhwcConvTransposeIsConvTransposeOnTransposedData(String name, int c, int m, int k,
      String attrs) {
    Random rnd = new Random(name.hashCode());
    NdArray x = random(rnd, 2, c, 5, 6);
    NdArray wt = random(rnd, c, m, k, k);
    NdArray b = random(rnd, m);
    Map<String, Attribute> a = attrs(attrs);
    NdArray want = transpose(run("", "ConvTranspose", a, x, wt, b), TO_NHWC);
    NdArray got = run("convoy", "NhwcConvTranspose", a, transpose(x, TO_NHWC),
        transpose(wt, new long[] {0, 2, 3, 1}), b);
    assertClose(want, got);
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(delimiter = ';', value = {
      "MaxPool; kernel_shape=[3,3], strides=[2,2], pads=[1,1,1,1]",
      "MaxPool; kernel_shape=[3,3], strides=[2,2], ceil_mode=1",
      "MaxPool; kernel_shape=[2,3], dilations=[2,1], auto_pad=SAME_LOWER",
      "AveragePool; kernel_shape=[3,3], pads=[1,1,1,1]",
      "AveragePool; kernel_shape=[3,3], pads=[1,0,1,2], count_include_pad=1, strides=[2,2]",
      "AveragePool; kernel_shape=[2,2], ceil_mode=1, strides=[2,2]",
      "GlobalAveragePool; ",
      "GlobalMaxPool; ",
      "LRN; size=5, alpha=0.001, beta=0.75, bias=2.0",
      "LRN; size=4",
      "SpaceToDepth; blocksize=3"})
  void nhwcWindowOpsMatchTheStandardOpExactly(String op, String attrs) {
    Random rnd = new Random(op.hashCode() + 31L * String.valueOf(attrs).hashCode());
    NdArray x = random(rnd, 2, 7, 9, 12);
    x.floats()[5] = Float.NaN;
    x.floats()[300] = Float.NaN;
    Map<String, Attribute> a = attrs(attrs);
    NdArray want = transpose(run("", op, a, x), TO_NHWC);
    NdArray got = run("convoy", "Nhwc" + op, a, transpose(x, TO_NHWC));
    assertArrayEquals(want.dims(), got.dims());
    assertArrayEquals(want.floats(), got.floats());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = ';', value = {
      "kernel_shape=[5,5], pads=[2,2,2,2]",
      "kernel_shape=[3,3], pads=[1,1,1,1]",
      "kernel_shape=[4,3], pads=[0,1,3,2], dilations=[2,1]",
      "kernel_shape=[3,5], strides=[1,2], ceil_mode=1, pads=[1,2,1,2]",
      "kernel_shape=[3,3], strides=[2,2], pads=[1,1,1,1]"})
  void nhwcMaxPoolTakesTheFirstTapThenGreaterOnesInEitherPass(String attrs) {
    // Values in {-1, -0.0, 0.0, 1} and one in eight NaN: the first tap, signed-zero ties and
    // NaNs inside windows all decide outputs; large stride-1 windows take the two-pass path.
    Random rnd = new Random(attrs.hashCode());
    float[] v = new float[2 * 24 * 9 * 11];
    for (int i = 0; i < v.length; i++) {
      int k = rnd.nextInt(8);
      v[i] = k == 0 ? Float.NaN : k < 3 ? -0.0f : k < 5 ? 0.0f : k < 7 ? 1f : -1f;
    }
    NdArray x = NdArray.ofFloats(new long[] {2, 24, 9, 11}, v);
    Map<String, Attribute> a = attrs(attrs);
    // The general (float64) path takes the first tap, then only greater ones; the float32
    // kernel's Math.max may return 0.0 where the first tap was -0.0.
    NdArray want = transpose(cast(run("", "MaxPool", a, cast(x, 11)), 1), TO_NHWC);
    NdArray got = run("convoy", "NhwcMaxPool", a, transpose(x, TO_NHWC));
    assertArrayEquals(want.dims(), got.dims());
    assertArrayEquals(want.floats(), got.floats());
  }

  private static NdArray cast(NdArray x, long to) {
    return OneNode.of("Cast").in(x).attr("to", Attribute.of(to)).run();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"DCR", "CRD"})
  void nhwcDepthToSpaceMovesWhatDepthToSpaceMoves(String mode) {
    NdArray x = random(new Random(mode.hashCode()), 2, 18, 3, 4);
    Map<String, Attribute> a = attrs("blocksize=3, mode=" + mode);
    NdArray want = transpose(run("", "DepthToSpace", a, x), TO_NHWC);
    NdArray got = run("convoy", "NhwcDepthToSpace", a, transpose(x, TO_NHWC));
    assertArrayEquals(want.dims(), got.dims());
    assertArrayEquals(want.floats(), got.floats());
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(delimiter = ';', value = {
      "BatchNormalization; ", "BatchNormalization; epsilon=0.001",
      "InstanceNormalization; ", "InstanceNormalization; epsilon=0.01"})
  void nhwcNormsMatchTheStandardOpExactly(String op, String attrs) {
    Random rnd = new Random(op.hashCode() + 31L * String.valueOf(attrs).hashCode());
    NdArray x = random(rnd, 2, 7, 5, 9);
    x.floats()[11] = Float.NaN;
    List<NdArray> in = new ArrayList<>(List.of(x, random(rnd, 7), random(rnd, 7)));
    if (op.equals("BatchNormalization")) {
      in.add(random(rnd, 7));
      NdArray var = random(rnd, 7);
      for (int i = 0; i < 7; i++) {
        var.floats()[i] = Math.abs(var.floats()[i]);
      }
      in.add(var);
    }
    Map<String, Attribute> a = attrs(attrs);
    NdArray want = transpose(run("", op, a, in.toArray(NdArray[]::new)), TO_NHWC);
    in.set(0, transpose(x, TO_NHWC));
    NdArray got = run("convoy", "Nhwc" + op, a, in.toArray(NdArray[]::new));
    assertArrayEquals(want.dims(), got.dims());
    assertArrayEquals(want.floats(), got.floats());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = ';', value = {"mode=bilinear", "mode=nearest, padding_mode=border",
      "mode=bicubic, padding_mode=reflection", "mode=bilinear, align_corners=1",
      "mode=nearest, padding_mode=reflection, align_corners=1"})
  void nhwcGridSampleSamplesWhatGridSampleSamples(String attrs) {
    Random rnd = new Random(attrs.hashCode());
    NdArray x = random(rnd, 2, 5, 7, 6);
    NdArray grid = random(rnd, 2, 4, 9, 2);
    Map<String, Attribute> a = attrs(attrs);
    NdArray want = transpose(runAt(16, "", "GridSample", a, x, grid), TO_NHWC);
    NdArray got = run("convoy", "NhwcGridSample", a, transpose(x, TO_NHWC), grid);
    assertArrayEquals(want.dims(), got.dims());
    assertArrayEquals(want.floats(), got.floats());
  }

  @ParameterizedTest(name = "axis {1} group {2}")
  @CsvSource({"nhwc last axis, 3, 2", "nchw channels, 1, 3", "first axis, 0, 2",
      "odd sizes, 2, 5", "one group, 3, 1", "nhwc last axis three groups, 3, 3"})
  void channelShuffleIsReshapeTransposeReshape(String name, int axis, int group) {
    long[] dims = {4, 6, 10, 30};
    dims[axis] = dims[axis] / group * group;
    NdArray x = random(new Random(name.hashCode()), dims);
    long[] split = new long[5];
    long[] perm = new long[5];
    for (int k = 0, j = 0; k < 4; k++) {
      if (k == axis) {
        split[j++] = group;
        split[j++] = dims[k] / group;
      } else {
        split[j++] = dims[k];
      }
    }
    for (int k = 0; k < 5; k++) {
      perm[k] = k == axis ? axis + 1 : k == axis + 1 ? axis : k;
    }
    NdArray grouped = OneNode.of("Reshape").in(x).in(NdArray.ofLongs(new long[] {5}, split))
        .run();
    NdArray swapped = transpose(grouped, perm);
    NdArray want = OneNode.of("Reshape").in(swapped).in(NdArray.ofLongs(new long[] {4}, dims))
        .run();
    NdArray got = run("convoy", "ChannelShuffle",
        attrs("axis=" + axis + ", group=" + group), x);
    assertArrayEquals(want.dims(), got.dims());
    assertArrayEquals(want.floats(), got.floats());
  }

  @ParameterizedTest(name = "{0} {2}")
  @CsvSource(delimiter = ';', value = {
      "NhwcConv; 3; strides=[2,2], pads=[1,1,1,1]",
      "NhwcConv; 1; auto_pad=SAME_UPPER, strides=[2,2]",
      "NhwcMaxPool; 0; kernel_shape=[3,3], strides=[2,2], ceil_mode=1",
      "NhwcAveragePool; 0; kernel_shape=[2,2], pads=[0,1,0,1]",
      "NhwcGlobalAveragePool; 0; ",
      "NhwcDepthToSpace; 0; blocksize=2, mode=CRD",
      "NhwcConvTranspose; 3; strides=[2,2], pads=[1,1,1,1], output_padding=[1,1]"})
  void shapeInferenceAgreesWithTheKernel(String op, int k, String attrs) {
    Random rnd = new Random(op.hashCode());
    Graph g = new Graph();
    g.opsets().put("", 22L);
    g.opsets().put(OpCatalog.CONVOY_DOMAIN, 1L);
    List<Value> in = new ArrayList<>();
    List<NdArray> feeds = new ArrayList<>();
    feeds.add(random(rnd, 1, 13, 14, 8));
    if (k > 0) {
      feeds.add(op.equals("NhwcConvTranspose") ? random(rnd, 8, k, k, 24) : random(rnd, k, k, 8, 24));
    }
    for (NdArray a : feeds) {
      in.add(g.addInput("x" + in.size(), new ValueType.TensorType(DType.FLOAT, a.shape())));
    }
    Node n = g.addNode(OpCatalog.CONVOY_DOMAIN, op, in, List.of("y"), attrs(attrs));
    ShapeInference.infer(g);
    NdArray y = run("convoy", op, attrs(attrs), feeds.toArray(NdArray[]::new));
    assertEquals(y.shape(), n.output(0).tensorType().shape());
  }

  private static Map<String, Attribute> attrs(String text) {
    Map<String, Attribute> a = new LinkedHashMap<>();
    if (text == null || text.isBlank()) {
      return a;
    }
    for (String kv : text.split(",\\s*(?=[a-z_]+=)")) {
      String[] p = kv.split("=", 2);
      String v = p[1].trim();
      if (v.startsWith("[")) {
        a.put(p[0].trim(), Attribute.of(java.util.Arrays.stream(v.substring(1, v.length() - 1)
            .split(",")).mapToLong(s -> Long.parseLong(s.trim())).toArray()));
      } else if (v.matches("-?\\d+")) {
        a.put(p[0].trim(), Attribute.of(Long.parseLong(v)));
      } else if (v.matches("-?[\\d.]+")) {
        a.put(p[0].trim(), new Attribute.FloatAttr(Float.parseFloat(v)));
      } else {
        a.put(p[0].trim(), Attribute.StringAttr.of(v));
      }
    }
    return a;
  }

  private static NdArray random(Random rnd, long... dims) {
    float[] v = new float[NdArray.checkedSize(dims)];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) rnd.nextGaussian();
    }
    return NdArray.ofFloats(dims, v);
  }

  private static NdArray transpose(NdArray x, long[] perm) {
    return OneNode.of("Transpose").in(x).attr("perm", Attribute.of(perm)).run();
  }

  private static NdArray run(String domain, String op, Map<String, Attribute> attrs,
      NdArray... inputs) {
    return runAt(22, domain, op, attrs, inputs);
  }

  /** {@code op} alone in a graph importing the default domain at {@code opset}. */
  private static NdArray runAt(long opset, String domain, String op,
      Map<String, Attribute> attrs, NdArray... inputs) {
    Graph g = new Graph();
    g.opsets().put("", opset);
    g.opsets().put(OpCatalog.CONVOY_DOMAIN, 1L);
    List<Value> in = new ArrayList<>();
    Map<String, RuntimeValue> feeds = new LinkedHashMap<>();
    for (NdArray a : inputs) {
      String name = "x" + in.size();
      in.add(g.addInput(name, new ValueType.TensorType(a.dtype(), a.shape())));
      feeds.put(name, a);
    }
    Node n = g.addNode(domain, op, in, List.of("y"), attrs);
    g.addOutput(n.output(0));
    return (NdArray) Evaluator.standard().run(g, feeds).values().iterator().next();
  }

  private static void assertClose(NdArray want, NdArray got) {
    assertArrayEquals(want.dims(), got.dims());
    float[] a = want.floats();
    float[] b = got.floats();
    for (int i = 0; i < a.length; i++) {
      assertTrue(Math.abs(a[i] - b[i]) <= 1e-5 + 1e-5 * Math.abs(a[i]),
          "element " + i + ": " + a[i] + " vs " + b[i]);
    }
  }
}
