package dev.convoy.transforms.evalcheck;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType.TensorType;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.verify.OrtVerifier;
import dev.convoy.transforms.verify.OrtVerifier.Tolerance;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The recurrent kernels against ONNX Runtime on seeded random weights, in the configurations
 * real models use (the node tests cover only tiny defaults): every direction, sequence_lens
 * shorter than the sequence, initial states, peepholes, GRU's linear_before_reset, clip and
 * non-default activations. Agreement at the model tolerance, rtol 1e-4 / atol 1e-5.
 */
class RecurrentOrtAgreementTest {
  private static final int SEQ = 7;
  private static final int BATCH = 3;
  private static final int INPUT = 10;
  private static final int HIDDEN = 16;

  private static OrtVerifier ort;

  @BeforeAll
  static void startOrt() {
    ort = new OrtVerifier();
  }

  @AfterAll
  static void stopOrt() {
    ort.close();
  }

  @Test
  void lstmForwardWithStatesAndPeepholesMatchesOrt() {
    check("LSTM", "forward", Map.of(), true, true, false);
  }

  @Test
  void lstmBidirectionalWithSequenceLensMatchesOrt() {
    check("LSTM", "bidirectional", Map.of(), true, true, true);
  }

  @Test
  void lstmReverseWithClipMatchesOrt() {
    check("LSTM", "reverse", Map.of("clip", new Attribute.FloatAttr(0.7f)), false, false, true);
  }

  @Test
  void gruBidirectionalLinearBeforeResetMatchesOrt() {
    check("GRU", "bidirectional", Map.of("linear_before_reset", new Attribute.IntAttr(1)),
        true, false, true);
  }

  @Test
  void gruForwardResetBeforeLinearMatchesOrt() {
    check("GRU", "forward", Map.of(), true, false, false);
  }

  @Test
  void rnnReverseWithReluActivationMatchesOrt() {
    check("RNN", "reverse", Map.of("activations",
        Attribute.StringsAttr.of(List.of("Relu"))), true, false, true);
  }

  private static int gates(String op) {
    return switch (op) {
      case "LSTM" -> 4;
      case "GRU" -> 3;
      default -> 1;
    };
  }

  private static void check(String op, String direction, Map<String, Attribute> extra,
      boolean initialState, boolean peepholes, boolean seqLens) {
    Random rnd = new Random(op.hashCode() * 31L + direction.hashCode());
    int dirs = direction.equals("bidirectional") ? 2 : 1;
    int g = gates(op);
    Graph graph = new Graph();
    graph.setName(op.toLowerCase() + "_" + direction);
    graph.opsets().put("", 14L);
    Map<String, Tensor> feeds = new LinkedHashMap<>();
    List<Value> inputs = new ArrayList<>();
    inputs.add(input(graph, feeds, "X", random(rnd, 1.0, SEQ, BATCH, INPUT)));
    inputs.add(graph.addInitializer("W", random(rnd, 0.4, dirs, g * HIDDEN, INPUT)));
    inputs.add(graph.addInitializer("R", random(rnd, 0.4, dirs, g * HIDDEN, HIDDEN)));
    inputs.add(graph.addInitializer("B", random(rnd, 0.3, dirs, 2 * g * HIDDEN)));
    inputs.add(seqLens
        ? graph.addInitializer("lens", Tensor.ofInts(new long[] {BATCH}, SEQ, 4, 1)) : null);
    inputs.add(initialState
        ? input(graph, feeds, "h0", random(rnd, 0.5, dirs, BATCH, HIDDEN)) : null);
    if (op.equals("LSTM")) {
      inputs.add(initialState
          ? input(graph, feeds, "c0", random(rnd, 0.5, dirs, BATCH, HIDDEN)) : null);
      inputs.add(peepholes
          ? graph.addInitializer("P", random(rnd, 0.3, dirs, 3 * HIDDEN)) : null);
    }
    while (inputs.get(inputs.size() - 1) == null) {
      inputs.remove(inputs.size() - 1);
    }
    Map<String, Attribute> attrs = new LinkedHashMap<>(extra);
    attrs.put("direction", Attribute.StringAttr.of(direction));
    attrs.put("hidden_size", new Attribute.IntAttr(HIDDEN));
    List<String> outs = op.equals("LSTM") ? List.of("Y", "Y_h", "Y_c") : List.of("Y", "Y_h");
    Node n = graph.addNode("", op, inputs, outs, attrs);
    for (Value o : n.outputs()) {
      o.setType(new TensorType(DType.FLOAT, dev.convoy.ir.graph.Shape.unknownRank()));
      graph.addOutput(o);
    }
    Map<String, Tensor> want = ort.run(OnnxExporter.toBytes(graph), feeds);
    Map<String, Tensor> got = Evaluator.standard().runTensors(graph, feeds);
    for (String name : outs) {
      var cmp = OrtVerifier.compareTensors(name, want.get(name), got.get(name),
          Tolerance.DEFAULT);
      assertTrue(cmp.pass(), op + " " + direction + " output " + name + ": " + cmp);
    }
  }

  private static Value input(Graph g, Map<String, Tensor> feeds, String name, Tensor t) {
    feeds.put(name, t);
    return g.addInput(name, t.type());
  }

  private static Tensor random(Random rnd, double scale, long... dims) {
    float[] v = new float[(int) Tensor.numElements(dims)];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
    }
    return Tensor.ofFloats(dims, v);
  }
}
