package dev.convoy.ir.ops.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType.TensorType;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OpCatalog;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Kernels keep derived forms (transposed, packed) of their weights across runs; an operand that
 * is a graph input is no weight, and its caller may pass the same array again with new contents.
 * Each kernel path that keeps such a form must then read the new contents: the second run of one
 * evaluator equals a fresh evaluator's run on the refilled array.
 */
class WeightOperandTest {

  @ParameterizedTest
  @ValueSource(strings = {"Conv", "Gemm", "NhwcConv"})
  void aWeightThatIsAGraphInputIsReadAgainOnEveryRun(String op) {
    // Conv: 8x8 output positions (fewer than BlockedConv's 128 short rows) and 160 output
    // channels take the transposed-weight path; Gemm: 16 rows with transB take the transposed
    // B; NhwcConv: a 3x3 convolution on the packed NHWC GEMM.
    Graph g = new Graph();
    g.opsets().put("", 17L);
    g.opsets().put(OpCatalog.CONVOY_DOMAIN, 1L);
    long[] xd;
    long[] wd;
    Map<String, dev.convoy.ir.graph.Attribute> attrs;
    String domain = "";
    switch (op) {
      case "Conv" -> {
        xd = new long[] {1, 16, 8, 8};
        wd = new long[] {160, 16, 1, 1};
        attrs = Map.of();
      }
      case "Gemm" -> {
        xd = new long[] {16, 24};
        wd = new long[] {40, 24};
        attrs = Map.of("transB", new dev.convoy.ir.graph.Attribute.IntAttr(1));
      }
      default -> {
        xd = new long[] {1, 6, 6, 8};
        wd = new long[] {3, 3, 8, 12};
        attrs = Map.of("kernel_shape", new dev.convoy.ir.graph.Attribute.IntsAttr(new long[] {3, 3}));
        domain = OpCatalog.CONVOY_DOMAIN;
      }
    }
    Value x = g.addInput("x", new TensorType(DType.FLOAT, Shape.of(xd)));
    Value w = g.addInput("w", new TensorType(DType.FLOAT, Shape.of(wd)));
    var node = g.addNode(domain, op, List.of(x, w), List.of("y"), attrs);
    g.addOutput(node.outputs().get(0));

    Random rnd = new Random(7);
    float[] xv = random(rnd, (int) product(xd));
    float[] wv = random(rnd, (int) product(wd));
    Map<String, NdArray> feeds = Map.of("x", NdArray.wrap(DType.FLOAT, xd, xv),
        "w", NdArray.wrap(DType.FLOAT, wd, wv));
    Evaluator kept = Evaluator.standard();
    kept.run(g, feeds);
    float[] refill = random(rnd, wv.length);
    System.arraycopy(refill, 0, wv, 0, wv.length);
    float[] again = ((NdArray) kept.run(g, feeds).get("y")).floats();
    float[] fresh = ((NdArray) Evaluator.standard().run(g, Map.of(
        "x", NdArray.wrap(DType.FLOAT, xd, xv.clone()),
        "w", NdArray.wrap(DType.FLOAT, wd, refill))).get("y")).floats();
    assertArrayEquals(fresh, again, op + ": the second run read a form of the first weight");
  }

  @ParameterizedTest
  @ValueSource(strings = {"LSTM", "GRU", "RNN"})
  void recurrentWeightsThatAreGraphInputsAreReadAgainOnEveryRun(String op) {
    // W and R transposed in double are kept across runs when they are weights: here both are
    // graph inputs, refilled between the runs.
    int gates = switch (op) {
      case "LSTM" -> 4;
      case "GRU" -> 3;
      default -> 1;
    };
    int hidden = 5;
    int in = 6;
    Graph g = new Graph();
    g.opsets().put("", 17L);
    long[] xd = {3, 1, in};
    long[] wd = {1, gates * hidden, in};
    long[] rd = {1, gates * hidden, hidden};
    Value x = g.addInput("x", new TensorType(DType.FLOAT, Shape.of(xd)));
    Value w = g.addInput("w", new TensorType(DType.FLOAT, Shape.of(wd)));
    Value r = g.addInput("r", new TensorType(DType.FLOAT, Shape.of(rd)));
    var node = g.addNode("", op, List.of(x, w, r), List.of("y"),
        Map.of("hidden_size", new dev.convoy.ir.graph.Attribute.IntAttr(hidden)));
    g.addOutput(node.outputs().get(0));

    Random rnd = new Random(11);
    float[] xv = random(rnd, (int) product(xd));
    float[] wv = random(rnd, (int) product(wd));
    float[] rv = random(rnd, (int) product(rd));
    Map<String, NdArray> feeds = Map.of("x", NdArray.wrap(DType.FLOAT, xd, xv),
        "w", NdArray.wrap(DType.FLOAT, wd, wv), "r", NdArray.wrap(DType.FLOAT, rd, rv));
    Evaluator kept = Evaluator.standard();
    kept.run(g, feeds);
    float[] wNew = random(rnd, wv.length);
    float[] rNew = random(rnd, rv.length);
    System.arraycopy(wNew, 0, wv, 0, wv.length);
    System.arraycopy(rNew, 0, rv, 0, rv.length);
    float[] again = ((NdArray) kept.run(g, feeds).get("y")).floats();
    float[] fresh = ((NdArray) Evaluator.standard().run(g, Map.of(
        "x", NdArray.wrap(DType.FLOAT, xd, xv.clone()),
        "w", NdArray.wrap(DType.FLOAT, wd, wNew), "r", NdArray.wrap(DType.FLOAT, rd, rNew)))
        .get("y")).floats();
    assertArrayEquals(fresh, again, op + ": the second run read a form of the first weights");
  }

  private static float[] random(Random rnd, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) rnd.nextGaussian();
    }
    return v;
  }

  private static long product(long[] d) {
    return Arrays.stream(d).reduce(1, (a, b) -> a * b);
  }
}
