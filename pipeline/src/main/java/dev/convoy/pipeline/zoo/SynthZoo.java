package dev.convoy.pipeline.zoo;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.eval.ShapeInference;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType.TensorType;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A synthetic model zoo for scale tests ({@code convoy zoo synth N --seed S --out DIR}): N ONNX
 * models of the shapes real zoos hold, with random sizes drawn from the seed: CNNs (Conv,
 * BatchNormalization, Relu, pooling, a Gemm head), MLPs (Gemm chains), transformer encoder blocks
 * (LayerNormalization, single-head attention with MatMul/Softmax, a feed-forward block, residual
 * Adds) and recurrent models (LSTM or GRU). Like exported models they carry work for the optimizer
 * (BatchNormalization after Conv, Identity nodes, constant subexpressions). About one in six keeps
 * its weights in external data ({@code NAME.onnx.data}); about one in twenty is broken (truncated,
 * garbage, or an op no runtime knows), which a run must report as a failure. The same N and seed
 * always give the same files, and {@code MANIFEST.csv} lists each model's kind.
 *
 * <p>A scale factor K ({@code --scale K}, default 1) makes every model K times larger where it
 * costs time and not disk: the image side of a CNN, the sequence length of a transformer or
 * recurrent model and the batch of an MLP are multiplied by K, the weights keep their sizes. The
 * random draws are the same at every scale, so scale 1 gives the same zoo as before and scale K
 * the same models with K-times-larger activations (evaluation work grows K- to K²-fold).
 */
public final class SynthZoo {
  /** The kinds of model, in the manifest's {@code kind} column. */
  public enum Kind { CNN, MLP, TRANSFORMER, RECURRENT, BROKEN }

  /** One generated file: its name (the file stem), kind and whether its weights are external. */
  public record Entry(String name, Kind kind, boolean externalData) {}

  private final Random rnd;
  private final int scale;
  private Graph g;

  private SynthZoo(long seed, int scale) {
    this.rnd = new Random(seed);
    this.scale = scale;
  }

  /** Writes {@code n} models generated from {@code seed} into {@code out}, plus its manifest. */
  public static List<Entry> generate(int n, long seed, Path out) {
    return generate(n, seed, 1, out);
  }

  /**
   * Writes {@code n} models generated from {@code seed} with activations {@code scale} times
   * larger (see the class comment) into {@code out}, plus its manifest.
   */
  public static List<Entry> generate(int n, long seed, int scale, Path out) {
    if (n < 1) {
      throw new ConvoyException("zoo synth: N must be at least 1, got " + n);
    }
    if (scale < 1 || scale > 64) {
      throw new ConvoyException("zoo synth: the scale must be between 1 and 64, got " + scale);
    }
    SynthZoo z = new SynthZoo(seed, scale);
    List<Entry> entries = new ArrayList<>();
    StringBuilder manifest = new StringBuilder("name,file,kind,external_data\n");
    try {
      Files.createDirectories(out);
      for (int i = 0; i < n; i++) {
        Entry e = z.write(i, out);
        entries.add(e);
        manifest.append(e.name()).append(',').append(e.name()).append(".onnx,")
            .append(e.kind().name().toLowerCase(java.util.Locale.ROOT)).append(',')
            .append(e.externalData() ? "yes" : "no").append('\n');
      }
      Files.writeString(out.resolve("MANIFEST.csv"), manifest);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the zoo into " + out, e);
    }
    return entries;
  }

  private Entry write(int index, Path out) throws IOException {
    double pick = rnd.nextDouble();
    Kind kind = pick < 0.05 ? Kind.BROKEN : pick < 0.35 ? Kind.CNN : pick < 0.6 ? Kind.MLP
        : pick < 0.82 ? Kind.TRANSFORMER : Kind.RECURRENT;
    String name = String.format("%s_%04d", kind.name().toLowerCase(java.util.Locale.ROOT), index);
    Path file = out.resolve(name + ".onnx");
    if (kind == Kind.BROKEN) {
      writeBroken(file);
      return new Entry(name, kind, false);
    }
    g = new Graph();
    g.setName(name);
    g.opsets().put("", 17L);
    switch (kind) {
      case CNN -> cnn();
      case MLP -> mlp();
      case TRANSFORMER -> transformer();
      default -> recurrent();
    }
    ShapeInference.infer(g);
    boolean external = rnd.nextInt(6) == 0;
    if (external) {
      OnnxExporter.writeWithExternalData(g, file, 1024);
    } else {
      OnnxExporter.write(g, file);
    }
    return new Entry(name, kind, external);
  }

  private void writeBroken(Path file) throws IOException {
    switch (rnd.nextInt(3)) {
      case 0 -> {
        g = new Graph();
        g.opsets().put("", 17L);
        mlp();
        ShapeInference.infer(g);
        byte[] bytes = OnnxExporter.toBytes(g);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length / 2));
      }
      case 1 -> {
        byte[] junk = new byte[256 + rnd.nextInt(4096)];
        rnd.nextBytes(junk);
        Files.write(file, junk);
      }
      default -> {
        g = new Graph();
        g.opsets().put("", 17L);
        g.opsets().put("com.example", 1L);
        Value x = g.addInput("x", TensorType.of(DType.FLOAT, 1, 8));
        Value y = g.addNode("com.example", "Frobnicate", List.of(x), List.of("y"), Map.of())
            .outputs().get(0);
        y.setType(TensorType.of(DType.FLOAT, 1, 8));
        g.addOutput(y);
        OnnxExporter.write(g, file);
      }
    }
  }

  private void cnn() {
    long c = rnd.nextInt(4) == 0 ? 1 : 3;
    long hw = (16L << rnd.nextInt(3)) * scale;
    Value x = g.addInput("input", TensorType.of(DType.FLOAT, 1, c, hw, hw));
    int blocks = 2 + rnd.nextInt(4);
    for (int b = 0; b < blocks; b++) {
      long out = pow2(3, 6);
      long k = rnd.nextBoolean() ? 3 : 1;
      x = node("Conv", List.of(x, weight(out, c, k, k), weight(out)),
          Map.of("pads", ints(k / 2, k / 2, k / 2, k / 2), "kernel_shape", ints(k, k)));
      if (rnd.nextBoolean()) {
        x = node("BatchNormalization", List.of(x, weight(out), weight(out), weight(out),
            positive(out)), Map.of("epsilon", new Attribute.FloatAttr(1e-5f)));
      }
      x = node("Relu", List.of(x), Map.of());
      if (hw / scale > 4 && rnd.nextBoolean()) {
        x = node("MaxPool", List.of(x), Map.of("kernel_shape", ints(2, 2), "strides", ints(2, 2)));
        hw /= 2;
      }
      c = out;
    }
    x = node("GlobalAveragePool", List.of(x), Map.of());
    x = node("Flatten", List.of(x), Map.of());
    g.addOutput(gemm(x, c, pow2(3, 7)));
  }

  private void mlp() {
    long d = pow2(4, 9);
    Value x = g.addInput("input", TensorType.of(DType.FLOAT, scale, d));
    int layers = 2 + rnd.nextInt(5);
    for (int l = 0; l < layers; l++) {
      long out = pow2(4, 9);
      x = gemm(x, d, out);
      if (l + 1 < layers) {
        x = node(rnd.nextBoolean() ? "Relu" : "Tanh", List.of(x), Map.of());
        if (rnd.nextInt(3) == 0) {
          x = node("Identity", List.of(x), Map.of());
        }
      }
      d = out;
    }
    g.addOutput(x);
  }

  private void transformer() {
    long seq = pow2(3, 6) * scale;
    long d = pow2(5, 7);
    Value x = g.addInput("input", TensorType.of(DType.FLOAT, 1, seq, d));
    int blocks = 1 + rnd.nextInt(3);
    for (int b = 0; b < blocks; b++) {
      Value h = node("LayerNormalization", List.of(x, positive(d), weight(d)),
          Map.of("axis", new Attribute.IntAttr(-1)));
      Value q = node("MatMul", List.of(h, weight(d, d)), Map.of());
      Value k = node("MatMul", List.of(h, weight(d, d)), Map.of());
      Value v = node("MatMul", List.of(h, weight(d, d)), Map.of());
      Value kt = node("Transpose", List.of(k), Map.of("perm", ints(0, 2, 1)));
      // The scale as a constant subexpression (1 / sqrt(d) = Reciprocal(Sqrt(d))): folding work.
      Value scale = node("Reciprocal", List.of(node("Sqrt",
          List.of(init(Tensor.ofFloats(new long[0], (float) d))), Map.of())), Map.of());
      Value scores = node("Mul", List.of(node("MatMul", List.of(q, kt), Map.of()), scale),
          Map.of());
      Value attn = node("Softmax", List.of(scores), Map.of("axis", new Attribute.IntAttr(-1)));
      Value mixed = node("MatMul", List.of(node("MatMul", List.of(attn, v), Map.of()),
          weight(d, d)), Map.of());
      x = node("Add", List.of(x, mixed), Map.of());
      Value h2 = node("LayerNormalization", List.of(x, positive(d), weight(d)),
          Map.of("axis", new Attribute.IntAttr(-1)));
      long ff = d * 2;
      Value up = node("Relu", List.of(node("Add", List.of(node("MatMul",
          List.of(h2, weight(d, ff)), Map.of()), weight(ff)), Map.of())), Map.of());
      Value down = node("MatMul", List.of(up, weight(ff, d)), Map.of());
      x = node("Add", List.of(x, down), Map.of());
    }
    g.addOutput(x);
  }

  private void recurrent() {
    long seq = pow2(2, 5) * scale;
    long in = pow2(3, 6);
    long hidden = pow2(3, 6);
    boolean lstm = rnd.nextBoolean();
    long gates = lstm ? 4 : 3;
    Value x = g.addInput("input", TensorType.of(DType.FLOAT, seq, 1, in));
    var n = g.addNode("", lstm ? "LSTM" : "GRU",
        List.of(x, weight(1, gates * hidden, in), weight(1, gates * hidden, hidden),
            weight(1, 2 * gates * hidden)),
        List.of(g.uniqueName("y"), g.uniqueName("y_h")),
        Map.of("hidden_size", new Attribute.IntAttr(hidden)));
    Value last = node("Squeeze", List.of(n.outputs().get(1), init(Tensor.ofLongs(
        new long[] {1}, 0))), Map.of());
    g.addOutput(gemm(last, hidden, pow2(2, 5)));
  }

  private Value gemm(Value x, long in, long out) {
    return node("Gemm", List.of(x, weight(in, out), weight(out)), Map.of());
  }

  private Value node(String op, List<Value> inputs, Map<String, Attribute> attrs) {
    return g.addNode("", op, inputs, List.of(g.uniqueName(op.toLowerCase(java.util.Locale.ROOT))),
        new LinkedHashMap<>(attrs)).outputs().get(0);
  }

  /**
   * Random weights scaled by 1/sqrt(fan-in), so activations stay near 1 through deep models. The
   * fan-in of a matrix {@code [in, out]} is its rows; of a conv or recurrent weight {@code [out,
   * ...]}, everything but the first axis.
   */
  private Value weight(long... dims) {
    long fanIn = dims.length == 2 || dims.length == 1 ? dims[0]
        : Tensor.numElements(dims) / dims[0];
    double scale = 1 / Math.sqrt(Math.max(1, fanIn));
    return floats(dims, () -> (float) (rnd.nextGaussian() * scale));
  }

  private Value positive(long... dims) {
    return floats(dims, () -> 0.5f + rnd.nextFloat());
  }

  private Value floats(long[] dims, java.util.function.Supplier<Float> next) {
    int count = Math.toIntExact(Tensor.numElements(dims));
    ByteBuffer b = ByteBuffer.allocate(count * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < count; i++) {
      b.putFloat(next.get());
    }
    return init(Tensor.of(DType.FLOAT, dims, b.flip()));
  }

  private Value init(Tensor t) {
    return g.addInitializer(g.uniqueName("w"), t);
  }

  private long pow2(int lo, int hi) {
    return 1L << (lo + rnd.nextInt(hi - lo + 1));
  }

  private static Attribute ints(long... v) {
    return new Attribute.IntsAttr(v);
  }
}
