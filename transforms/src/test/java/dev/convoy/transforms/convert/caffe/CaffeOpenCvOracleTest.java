package dev.convoy.transforms.convert.caffe;


import caffe.Caffe;
import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.convert.onnx.OnnxTensors;
import dev.convoy.transforms.testing.OrtFixture;
import dev.convoy.transforms.testing.StrictAgreement;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Caffe nets run by OpenCV's dnn module (the oracle) and by Convoy on the same seeded inputs:
 * the shipped test nets on inputs other than their recorded ones (compared before the final
 * Softmax, which random weights flatten), and small nets written here for the layers and
 * parameters the shipped nets leave out (grouped and dilated convolution, Deconvolution, PReLU,
 * ELU, Power, Eltwise with coefficients, PROD and MAX, Slice, BatchNorm and Scale, both LRN
 * regions, Flatten, Reshape, Normalize, Permute, average pooling over ceil-rounded padded
 * windows, a legacy V1 net with legacy 4-D blobs). Skipped where OpenCV is not installed.
 *
 * <p>OpenCV 4.6 ignores LRN's {@code k} (it always adds 1, where Caffe adds {@code k}), so the
 * LRN layers here keep the default k = 1.
 */
class CaffeOpenCvOracleTest {
  @RegisterExtension static final OrtFixture ORT = new OrtFixture();

  @TempDir Path work;

  static Stream<Path> shippedNets() {
    return CaffeReferenceTest.nets();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("shippedNets")
  void shippedNetMatchesOpenCvOnAFreshSeededInput(Path prototxt) throws IOException {
    OpenCvCaffe.requireAvailable();
    String stem = prototxt.getFileName().toString().replaceFirst("\\.prototxt$", "");
    Path ref = prototxt.resolveSibling(stem + ".ref/test_data_set_0");
    Tensor recorded = OnnxTensors.readPb(ref.resolve("input_0.pb"));
    String preSoftmax = OnnxTensors.readPbName(ref.resolve("output_0.pb"));
    // The recorded input's range is the net's preprocessing range; draw a new input in it.
    float[] r = recorded.toFloatArray();
    float lo = Float.MAX_VALUE;
    float hi = -Float.MAX_VALUE;
    for (float v : r) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    Tensor input = uniform(new SplittableRandom(20261205L), recorded.dims(), lo, hi);
    compare(prototxt, CaffeImporter.weightsFor(prototxt), Map.of("data", input),
        List.of(preSoftmax));
  }

  @Test
  void convolutionsDeconvolutionAndPoolingMatchOpenCv() throws IOException {
    String net = """
        name: "convs"
        layer { name: "data" type: "Input" top: "data"
                input_param { shape { dim: 1 dim: 4 dim: 10 dim: 11 } } }
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
                convolution_param { num_output: 6 kernel_size: 3 pad: 2 dilation: 2 group: 2 } }
        layer { name: "prelu1" type: "PReLU" bottom: "conv1" top: "conv1" }
        layer { name: "deconv1" type: "Deconvolution" bottom: "conv1" top: "deconv1"
                convolution_param { num_output: 4 kernel_h: 3 kernel_w: 2 stride: 2 pad: 1
                                    bias_term: false } }
        layer { name: "elu1" type: "ELU" bottom: "deconv1" top: "deconv1" elu_param { alpha: 0.7 } }
        layer { name: "pool_ave" type: "Pooling" bottom: "deconv1" top: "pool_ave"
                pooling_param { pool: AVE kernel_size: 3 stride: 2 pad: 1 } }
        layer { name: "pool_max" type: "Pooling" bottom: "pool_ave" top: "pool_max"
                pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
        layer { name: "pool_ave2" type: "Pooling" bottom: "pool_ave" top: "pool_ave2"
                pooling_param { pool: AVE kernel_h: 3 kernel_w: 2 stride_h: 2 stride_w: 3 } }
        layer { name: "pool_max2" type: "Pooling" bottom: "deconv1" top: "pool_max2"
                pooling_param { pool: MAX kernel_size: 3 stride: 2 pad: 1 } }
        layer { name: "ip1" type: "InnerProduct" bottom: "pool_max" top: "ip1"
                inner_product_param { num_output: 7 } }
        layer { name: "prob" type: "Softmax" bottom: "ip1" top: "prob" }
        """;
    Map<String, List<Blob>> weights = new LinkedHashMap<>();
    weights.put("conv1", List.of(new Blob(-0.5f, 0.5f, 6, 2, 3, 3), new Blob(-0.2f, 0.2f, 6)));
    weights.put("prelu1", List.of(new Blob(0f, 0.5f, 6)));
    weights.put("deconv1", List.of(new Blob(-0.5f, 0.5f, 6, 4, 3, 2)));
    weights.put("ip1", List.of(new Blob(-0.2f, 0.2f, 7, 120), new Blob(-0.1f, 0.1f, 7)));
    check("convs", net, weights, Map.of("data", new long[] {1, 4, 10, 11}),
        List.of("pool_ave", "pool_ave2", "pool_max2", "ip1"));
  }

  @Test
  void elementwiseSliceNormalizationAndReshapeMatchOpenCv() throws IOException {
    String net = """
        name: "elementwise"
        layer { name: "data" type: "Input" top: "data"
                input_param { shape { dim: 1 dim: 6 dim: 5 dim: 5 } } }
        layer { name: "c1" type: "Convolution" bottom: "data" top: "c1"
                convolution_param { num_output: 8 kernel_size: 1 } }
        layer { name: "split1" type: "Split" bottom: "c1" top: "a" top: "b" }
        layer { name: "pow" type: "Power" bottom: "a" top: "pw"
                power_param { power: 2 scale: 0.5 shift: 1.5 } }
        layer { name: "sig" type: "Sigmoid" bottom: "b" top: "sg" }
        layer { name: "tanh" type: "TanH" bottom: "b" top: "th" }
        layer { name: "abs" type: "AbsVal" bottom: "b" top: "ab" }
        layer { name: "sum" type: "Eltwise" bottom: "pw" bottom: "sg" bottom: "th" top: "sum"
                eltwise_param { operation: SUM coeff: 0.5 coeff: -1 coeff: 2 } }
        layer { name: "prod" type: "Eltwise" bottom: "sum" bottom: "ab" top: "prod"
                eltwise_param { operation: PROD } }
        layer { name: "max" type: "Eltwise" bottom: "prod" bottom: "sg" top: "mx"
                eltwise_param { operation: MAX } }
        layer { name: "cat" type: "Concat" bottom: "mx" bottom: "th" top: "cat" }
        layer { name: "slice" type: "Slice" bottom: "cat" top: "s1" top: "s2" top: "s3"
                slice_param { axis: 1 slice_point: 3 slice_point: 10 } }
        layer { name: "bn" type: "BatchNorm" bottom: "s2" top: "s2"
                batch_norm_param { use_global_stats: true eps: 0.001 } }
        layer { name: "sc" type: "Scale" bottom: "s2" top: "s2" scale_param { bias_term: true } }
        layer { name: "lrn_across" type: "LRN" bottom: "s2" top: "la"
                lrn_param { local_size: 3 alpha: 0.5 beta: 0.75 } }
        layer { name: "lrn_within" type: "LRN" bottom: "s3" top: "lw"
                lrn_param { local_size: 3 alpha: 0.3 beta: 0.6 norm_region: WITHIN_CHANNEL } }
        layer { name: "flat" type: "Flatten" bottom: "s1" top: "fl" }
        layer { name: "resh" type: "Reshape" bottom: "la" top: "rs"
                reshape_param { shape { dim: 0 dim: -1 dim: 5 } } }
        layer { name: "leaky" type: "ReLU" bottom: "lw" top: "lk" relu_param { negative_slope: 0.1 } }
        """;
    Map<String, List<Blob>> weights = new LinkedHashMap<>();
    weights.put("c1", List.of(new Blob(-0.5f, 0.5f, 8, 6, 1, 1), new Blob(-0.2f, 0.2f, 8)));
    weights.put("bn", List.of(new Blob(-1.5f, 1.5f, 7), new Blob(1.5f, 4.5f, 7),
        new Blob(3f, 3f, 1)));
    weights.put("sc", List.of(new Blob(0.5f, 1.5f, 7), new Blob(-0.2f, 0.2f, 7)));
    check("elementwise", net, weights, Map.of("data", new long[] {1, 6, 5, 5}),
        List.of("s2", "rs", "fl", "lk"));
  }

  @Test
  void layerAxesOtherThanTheChannelsMatchOpenCv() throws IOException {
    String net = """
        name: "axes"
        layer { name: "data" type: "Input" top: "data"
                input_param { shape { dim: 1 dim: 6 dim: 4 dim: 5 } } }
        layer { name: "ip_axis2" type: "InnerProduct" bottom: "data" top: "ip_axis2"
                inner_product_param { num_output: 3 axis: 2 } }
        layer { name: "flat2" type: "Flatten" bottom: "data" top: "flat2"
                flatten_param { axis: 2 end_axis: 3 } }
        layer { name: "resh2" type: "Reshape" bottom: "data" top: "resh2"
                reshape_param { axis: 1 num_axes: 2 shape { dim: 3 dim: -1 } } }
        layer { name: "soft2" type: "Softmax" bottom: "data" top: "soft2" softmax_param { axis: 2 } }
        layer { name: "halves" type: "Slice" bottom: "data" top: "s_a" top: "s_b" }
        layer { name: "cat3" type: "Concat" bottom: "s_b" bottom: "s_a" top: "cat3"
                concat_param { axis: 3 } }
        layer { name: "prelu_shared" type: "PReLU" bottom: "cat3" top: "pr"
                prelu_param { channel_shared: true } }
        """;
    Map<String, List<Blob>> weights = new LinkedHashMap<>();
    weights.put("ip_axis2", List.of(new Blob(-0.5f, 0.5f, 3, 20), new Blob(-0.2f, 0.2f, 3)));
    weights.put("prelu_shared", List.of(new Blob(0.1f, 0.3f, 1)));
    check("axes", net, weights, Map.of("data", new long[] {1, 6, 4, 5}),
        List.of("ip_axis2", "flat2", "resh2", "soft2", "pr"));
  }

  @Test
  void ssdNormalizeAndPermuteMatchOpenCv() throws IOException {
    String net = """
        name: "ssd_head"
        layer { name: "data" type: "Input" top: "data"
                input_param { shape { dim: 1 dim: 5 dim: 6 dim: 7 } } }
        layer { name: "c1" type: "Convolution" bottom: "data" top: "c1"
                convolution_param { num_output: 6 kernel_size: 3 pad: 1 } }
        layer { name: "norm1" type: "Normalize" bottom: "c1" top: "n1"
                norm_param { across_spatial: false channel_shared: false } }
        layer { name: "norm2" type: "Normalize" bottom: "c1" top: "n2"
                norm_param { across_spatial: true channel_shared: true eps: 0.001 } }
        layer { name: "perm" type: "Permute" bottom: "n1" top: "p1"
                permute_param { order: 0 order: 2 order: 3 order: 1 } }
        layer { name: "pflat" type: "Flatten" bottom: "p1" top: "f1" flatten_param { axis: 1 } }
        """;
    Map<String, List<Blob>> weights = new LinkedHashMap<>();
    weights.put("c1", List.of(new Blob(-0.5f, 0.5f, 6, 5, 3, 3), new Blob(-0.2f, 0.2f, 6)));
    weights.put("norm1", List.of(new Blob(1f, 20f, 6)));
    weights.put("norm2", List.of(new Blob(5f, 5f, 1)));
    check("ssd_head", net, weights, Map.of("data", new long[] {1, 5, 6, 7}),
        List.of("n2", "f1"));
  }

  @Test
  void legacyV1NetWithLegacyBlobsMatchesOpenCv() throws IOException {
    String net = """
        name: "v1net"
        input: "data"
        input_dim: 1 input_dim: 3 input_dim: 8 input_dim: 8
        layers { name: "conv1" type: CONVOLUTION bottom: "data" top: "conv1"
                 convolution_param { num_output: 4 kernel_size: 3 } }
        layers { name: "relu1" type: RELU bottom: "conv1" top: "conv1" }
        layers { name: "pool1" type: POOLING bottom: "conv1" top: "pool1"
                 pooling_param { pool: MAX kernel_size: 3 stride: 2 } }
        layers { name: "fc" type: INNER_PRODUCT bottom: "pool1" top: "fc"
                 inner_product_param { num_output: 5 } }
        layers { name: "prob" type: SOFTMAX bottom: "fc" top: "prob" }
        """;
    Map<String, List<Blob>> weights = new LinkedHashMap<>();
    weights.put("conv1", List.of(new Blob(-0.5f, 0.5f, 4, 3, 3, 3),
        new Blob(-0.2f, 0.2f, 1, 1, 1, 4)));
    weights.put("fc", List.of(new Blob(-0.3f, 0.3f, 1, 1, 5, 36), new Blob(-0.1f, 0.1f, 1, 1, 1, 5)));
    check("v1net", net, weights, Map.of("data", new long[] {1, 3, 8, 8}), List.of("fc", "prob"));
  }

  /** A weight blob: uniform in [lo, hi], of the given dims (4-D ones written legacy-style). */
  record Blob(float lo, float hi, long... dims) {}

  private void check(String name, String prototxtText, Map<String, List<Blob>> weights,
      Map<String, long[]> inputShapes, List<String> blobs) throws IOException {
    OpenCvCaffe.requireAvailable();
    Path prototxt = work.resolve(name + ".prototxt");
    Files.writeString(prototxt, prototxtText);
    Path caffemodel = work.resolve(name + ".caffemodel");
    boolean v1 = prototxtText.contains("layers {");
    SplittableRandom rnd = new SplittableRandom(name.hashCode());
    Caffe.NetParameter.Builder model = Caffe.NetParameter.newBuilder().setName(name);
    weights.forEach((layer, specs) -> {
      List<Caffe.BlobProto> protos = new ArrayList<>();
      for (Blob s : specs) {
        protos.add(blob(rnd, s, v1));
      }
      if (v1) {
        model.addLayers(Caffe.V1LayerParameter.newBuilder().setName(layer).addAllBlobs(protos));
      } else {
        model.addLayer(Caffe.LayerParameter.newBuilder().setName(layer).addAllBlobs(protos));
      }
    });
    Files.write(caffemodel, model.build().toByteArray());
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    inputShapes.forEach((in, dims) -> inputs.put(in, uniform(rnd, dims, -1f, 1f)));
    compare(prototxt, caffemodel, inputs, blobs);
  }

  private static Caffe.BlobProto blob(SplittableRandom rnd, Blob s, boolean legacy) {
    Caffe.BlobProto.Builder b = Caffe.BlobProto.newBuilder();
    if (legacy && s.dims().length == 4) {
      b.setNum((int) s.dims()[0]).setChannels((int) s.dims()[1]).setHeight((int) s.dims()[2])
          .setWidth((int) s.dims()[3]);
    } else {
      Caffe.BlobShape.Builder shape = Caffe.BlobShape.newBuilder();
      for (long d : s.dims()) {
        shape.addDim(d);
      }
      b.setShape(shape);
    }
    for (float v : uniform(rnd, s.dims(), s.lo(), s.hi()).toFloatArray()) {
      b.addData(v);
    }
    return b.build();
  }

  private static Tensor uniform(SplittableRandom rnd, long[] dims, float lo, float hi) {
    float[] v = new float[(int) Tensor.numElements(dims)];
    for (int i = 0; i < v.length; i++) {
      v[i] = lo + (hi - lo) * (float) rnd.nextDouble();
    }
    return Tensor.ofFloats(dims, v);
  }

  /**
   * Runs OpenCV on the layers that last write each blob, and Convoy (evaluator, and ORT on the
   * export) with those blobs as outputs; every blob must agree within rtol 1e-4 / atol 1e-5.
   */
  private void compare(Path prototxt, Path caffemodel, Map<String, Tensor> inputs,
      List<String> blobs) throws IOException {
    List<String> writers = new ArrayList<>();
    List<Caffe.LayerParameter> layers = CaffeNetReader.readDefinition(prototxt).layers();
    for (String blob : blobs) {
      String writer = null;
      for (Caffe.LayerParameter l : layers) {
        if (l.getTopList().contains(blob)) {
          writer = l.getName();
        }
      }
      writers.add(writer);
    }
    Path scratch = Files.createDirectories(work.resolve("opencv-" + prototxt.getFileName()));
    List<Tensor> expected = OpenCvCaffe.forward(prototxt, caffemodel, inputs, writers, scratch);
    Graph g = CaffeImporter.importFiles(prototxt, caffemodel, blobs);
    Map<String, Tensor> eval = Evaluator.standard().runTensors(g, inputs);
    Map<String, Tensor> ort = ORT.verifier().run(OnnxExporter.toBytes(g), inputs);
    for (int i = 0; i < blobs.size(); i++) {
      String blob = blobs.get(i);
      for (var e : Map.of("evaluator", eval, "ORT", ort).entrySet()) {
        Tensor got = e.getValue().get(blob);
        Tensor want = expected.get(i);
        if (want.numElements() == got.numElements() && want.rank() != got.rank()) {
          // OpenCV drops or keeps trailing unit axes its own way; compare values.
          want = Tensor.of(want.dtype(), got.dims(), want.data());
        }
        StrictAgreement.assertAgrees(prototxt.getFileName() + " " + e.getKey(), blob, want, got);
      }
    }
  }
}
