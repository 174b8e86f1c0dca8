package dev.convoy.transforms.optimize.move;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.eval.ShapeInference;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.testing.TestData;
import dev.convoy.transforms.convert.Models;
import dev.convoy.transforms.optimize.GoldenChecks;
import dev.convoy.transforms.optimize.PassContext;
import dev.convoy.transforms.optimize.infer.InferShapes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The pass-level law of sink-transpose: on every graph, the Transposes (all subgraphs) after it
 * are never more than before, and outputs do not change. Checked on seeded random graphs of
 * Transposes mixed with the ops they move through (numerically, through the evaluator) and on
 * every dev model, ONNX and TFLite (count and structure; ORT checks the O2 results numerically in
 * OptimizeDevModelsTest).
 */
class TransposeCountLawTest {
  @TestFactory
  Stream<DynamicTest> randomGraphsNeverGainTransposesAndKeepTheirOutputs() {
    return java.util.stream.LongStream.range(0, 300).mapToObj(seed ->
        DynamicTest.dynamicTest("seed " + seed, () -> {
          Graph g = RandomGraph.build(new Random(seed));
          Graph input = g.copy();
          int before = SinkTransposeTest.transposes(g);
          SinkTransposeTest.sink(g);
          int after = SinkTransposeTest.transposes(g);
          assertTrue(after <= before, "seed " + seed + ": " + before + " -> " + after);
          GoldenChecks.assertValid(g, "seed " + seed);
          GoldenChecks.assertSameOutputs(input, g, SinkTransposeTest.O1, "seed " + seed);
        }));
  }

  /** The law is not vacuous: the generator makes graphs where Transposes do cancel. */
  @Test
  void randomGraphsOftenLoseTransposes() {
    int fewer = 0;
    for (long seed = 0; seed < 300; seed++) {
      Graph g = RandomGraph.build(new Random(seed));
      int before = SinkTransposeTest.transposes(g);
      SinkTransposeTest.sink(g);
      fewer += SinkTransposeTest.transposes(g) < before ? 1 : 0;
    }
    assertTrue(fewer >= 30, "only " + fewer + " of 300 random graphs lost a Transpose");
  }

  @TestFactory
  Stream<DynamicTest> devModelsNeverGainTransposes() throws IOException {
    List<Path> models = new ArrayList<>(TestData.devModelFiles());
    Path tflite = TestData.root().resolve("models/tflite");
    try (Stream<Path> s = Files.list(tflite)) {
      s.filter(p -> p.toString().endsWith(".tflite")).sorted().forEach(models::add);
    }
    return models.stream().map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> {
      Graph g;
      try {
        g = Models.load(p, true).graph();
      } catch (ConvoyException e) {
        Assumptions.abort(p + " does not import: " + e.getMessage());
        return;
      }
      new InferShapes().run(g, new PassContext(SinkTransposeTest.O1, null));
      int before = SinkTransposeTest.transposes(g);
      SinkTransposeTest.sink(g);
      int after = SinkTransposeTest.transposes(g);
      assertTrue(after <= before, p + ": " + before + " -> " + after);
      GoldenChecks.assertValid(g, p.toString());
    }));
  }

  /** Seeded random graphs: a few inputs, then Transposes and movable ops on static shapes. */
  static final class RandomGraph {
    private final Random rnd;
    private final Graph g = new Graph();
    private final List<Value> values = new ArrayList<>();
    private int next;

    private RandomGraph(Random rnd) {
      this.rnd = rnd;
      g.opsets().put("", 21L);
    }

    static Graph build(Random rnd) {
      RandomGraph r = new RandomGraph(rnd);
      int rank = 2 + rnd.nextInt(3);
      long[] dims = new long[rank];
      for (int i = 0; i < rank; i++) {
        dims[i] = 1 + rnd.nextInt(4);
      }
      for (int i = 0; i < 2; i++) {
        r.values.add(r.g.addInput("in" + i, ValueType.TensorType.of(DType.FLOAT, dims)));
      }
      int steps = 4 + rnd.nextInt(10);
      for (int i = 0; i < steps; i++) {
        r.step();
      }
      List<Value> outs = new ArrayList<>();
      outs.add(r.values.get(r.values.size() - 1));
      Value extra = r.values.get(2 + rnd.nextInt(r.values.size() - 2));
      if (!outs.contains(extra) && rnd.nextBoolean()) {
        outs.add(extra);
      }
      outs.forEach(r.g::addOutput);
      ShapeInference.infer(r.g);
      return r.g;
    }

    private void step() {
      Value v = pick();
      long[] d = dims(v);
      int r = d.length;
      if (r == 0) {
        node("Neg", List.of(v), Map.of());
        return;
      }
      switch (rnd.nextInt(13)) {
        case 0, 1, 2 -> {
          List<Long> p = new ArrayList<>();
          for (long i = 0; i < r; i++) {
            p.add(i);
          }
          Collections.shuffle(p, rnd);
          node("Transpose", List.of(v),
              Map.of("perm", new Attribute.IntsAttr(p.stream().mapToLong(Long::longValue).toArray())));
        }
        case 3 -> node(rnd.nextBoolean() ? "Relu" : "Sigmoid", List.of(v), Map.of());
        case 4 -> {
          Value w = sameShape(v);
          node(rnd.nextBoolean() ? "Add" : "Mul", List.of(v, w != null ? w : broadcastConst(d)),
              Map.of());
        }
        case 5 -> {
          long axis = rnd.nextInt(r);
          node("ReduceSum", List.of(v, longs(axis)),
              Map.of("keepdims", new Attribute.IntAttr(rnd.nextInt(2))));
        }
        case 6 -> {
          Value w = sameShape(v);
          node("Concat", List.of(v, w != null ? w : v),
              Map.of("axis", new Attribute.IntAttr(rnd.nextInt(r))));
        }
        case 7 -> node("Softmax", List.of(v), Map.of("axis", new Attribute.IntAttr(rnd.nextInt(r))));
        case 8 -> {
          long[] pads = new long[2 * r];
          pads[rnd.nextInt(2 * r)] = 1;
          node("Pad", List.of(v, longs(pads)), Map.of());
        }
        case 9 -> {
          int axis = rnd.nextInt(r);
          node("Slice", List.of(v, longs(0), longs(Math.max(1, d[axis] - 1)), longs(axis)),
              Map.of());
        }
        case 10 -> {
          int axis = rnd.nextInt(r);
          float[] scales = new float[(int) d[axis]];
          for (int i = 0; i < scales.length; i++) {
            scales[i] = 0.01f + rnd.nextFloat() / 8;
          }
          Value s = g.addInitializer("s" + next++, Tensor.ofFloats(new long[] {d[axis]}, scales));
          Map<String, Attribute> a = Map.of("axis", new Attribute.IntAttr(axis));
          node("QuantizeLinear", List.of(v, s), a);
          node("DequantizeLinear", List.of(values.get(values.size() - 1), s), a);
          values.remove(values.size() - 2);
        }
        case 11 -> {
          long[] shape = new long[r + 1];
          int at = rnd.nextInt(r + 1);
          for (int i = 0, k = 0; i <= r; i++) {
            shape[i] = i == at ? 1 : d[k++];
          }
          node("Reshape", List.of(v, longs(shape)), Map.of());
        }
        default -> {
          int axis = rnd.nextInt(r);
          if (d[axis] == 1 && r > 1) {
            node("Squeeze", List.of(v, longs(axis)), Map.of());
          } else if (r < 5) {
            node("Unsqueeze", List.of(v, longs(rnd.nextInt(r + 1))), Map.of());
          } else {
            node("Neg", List.of(v), Map.of());
          }
        }
      }
    }

    private Value pick() {
      int n = values.size();
      return values.get(rnd.nextInt(3) == 0 ? rnd.nextInt(n) : n - 1);
    }

    private Value sameShape(Value v) {
      List<Value> same = values.stream()
          .filter(w -> w != v && java.util.Arrays.equals(dims(w), dims(v))).toList();
      return same.isEmpty() ? null : same.get(rnd.nextInt(same.size()));
    }

    private Value broadcastConst(long[] d) {
      int k = rnd.nextInt(d.length + 1);
      long[] c = new long[k];
      for (int i = 0; i < k; i++) {
        c[i] = rnd.nextBoolean() ? 1 : d[d.length - k + i];
      }
      float[] data = new float[(int) Tensor.numElements(c)];
      for (int i = 0; i < data.length; i++) {
        data[i] = rnd.nextFloat() * 2 - 1;
      }
      return g.addInitializer("c" + next++, Tensor.ofFloats(c, data));
    }

    private Value longs(long... xs) {
      return g.addInitializer("k" + next++, Tensor.ofLongs(new long[] {xs.length}, xs));
    }

    private void node(String op, List<Value> inputs, Map<String, Attribute> attrs) {
      var n = g.addNode("", op, inputs, List.of("v" + next++), new HashMap<>(attrs));
      ShapeInference.infer(g);
      values.add(n.output(0));
    }

    private static long[] dims(Value v) {
      return v.tensorType().shape().sizes();
    }
  }
}
