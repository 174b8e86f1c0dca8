package dev.convoy.transforms.convert.tf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.UnsupportedOpException;
import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.verify.GraphVerifier;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.Optimizer;
import dev.convoy.transforms.testing.OrtFixture;
import dev.convoy.transforms.testing.StrictAgreement;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.StridedSlice;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.op.math.Mean;
import org.tensorflow.op.nn.FusedBatchNorm;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Small real TensorFlow graphs, built and run with TensorFlow Java (the oracle), written as
 * frozen GraphDefs (weights as constants) and imported: Convoy's evaluator, ONNX Runtime on the
 * export and both again after O2 must agree with TensorFlow within rtol 1e-4 / atol 1e-5.
 */
class TfImportTest {
  @RegisterExtension static final OrtFixture ORT = new OrtFixture();

  @TempDir Path work;

  private final SplittableRandom rnd = new SplittableRandom(20261205L);

  @Test
  void cnnWithBatchNormMatchesTensorFlow() throws IOException {
    try (org.tensorflow.Graph g = new org.tensorflow.Graph()) {
      Ops tf = Ops.create(g);
      var x = tf.withName("x").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, 12, 12, 3)));
      var c1 = tf.nn.conv2d(x, weights(tf, 3, 3, 3, 8), List.of(1L, 1L, 1L, 1L), "SAME");
      var b1 = tf.nn.biasAdd(c1, weights(tf, 8));
      var bn = tf.nn.fusedBatchNorm(b1, uniform(tf, 0.5f, 1.5f, 8), weights(tf, 8),
          weights(tf, 8), uniform(tf, 0.5f, 2f, 8), FusedBatchNorm.isTraining(false),
          FusedBatchNorm.epsilon(1e-3f));
      var r1 = tf.nn.relu(bn.y());
      var p1 = tf.nn.maxPool(r1, tf.constant(new int[] {1, 3, 3, 1}),
          tf.constant(new int[] {1, 2, 2, 1}), "SAME");
      var c2 = tf.nn.conv2d(p1, weights(tf, 3, 3, 8, 16), List.of(1L, 2L, 2L, 1L), "VALID");
      var r2 = tf.nn.relu6(tf.math.mul(c2, tf.constant(4f)));
      var p2 = tf.nn.avgPool(r2, List.of(1L, 2L, 2L, 1L), List.of(1L, 1L, 1L, 1L), "SAME");
      // Flatten as Keras writes it: reshape to [shape(x)[0], -1].
      var batch = tf.stridedSlice(tf.shape(p2), tf.constant(new int[] {0}),
          tf.constant(new int[] {1}), tf.constant(new int[] {1}),
          StridedSlice.shrinkAxisMask(1L));
      var flat = tf.reshape(p2, tf.stack(List.<Operand<TInt32>>of(batch, tf.constant(-1))));
      var fc = tf.math.add(tf.linalg.matMul(flat, weights(tf, 2 * 2 * 16, 10)), weights(tf, 10));
      var prob = tf.withName("prob").nn.softmax(fc);
      check(g, "x", new long[] {2, 12, 12, 3}, List.of(fc.op().name(), prob.op().name()));
    }
  }

  @Test
  void mlpMatchesTensorFlow() throws IOException {
    try (org.tensorflow.Graph g = new org.tensorflow.Graph()) {
      Ops tf = Ops.create(g);
      var x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 20)));
      var h1 = tf.math.tanh(tf.math.add(tf.linalg.matMul(x, weights(tf, 20, 32)), weights(tf, 32)));
      var h2 = tf.math.sigmoid(tf.linalg.matMul(h1, weights(tf, 16, 32),
          MatMul.transposeB(true)));
      var h3 = tf.nn.elu(tf.math.sub(tf.linalg.matMul(h2, weights(tf, 16, 12)), weights(tf, 12)));
      var h4 = tf.math.realDiv(h3, uniform(tf, 0.5f, 2f, 12));
      var both = tf.concat(List.of(h4, tf.linalg.transpose(tf.linalg.transpose(h4,
          tf.constant(new int[] {1, 0})), tf.constant(new int[] {1, 0}))), tf.constant(1));
      var prob = tf.withName("prob").nn.softmax(both);
      check(g, "x", new long[] {3, 20}, List.of(prob.op().name()));
    }
  }

  @Test
  void depthwiseSeparableBlockMatchesTensorFlow() throws IOException {
    try (org.tensorflow.Graph g = new org.tensorflow.Graph()) {
      Ops tf = Ops.create(g);
      var x = tf.withName("x").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, 11, 11, 4)));
      var dw = tf.nn.depthwiseConv2dNative(x, weights(tf, 3, 3, 4, 2), List.of(1L, 2L, 2L, 1L),
          "SAME");
      var r1 = tf.nn.relu6(tf.nn.biasAdd(dw, weights(tf, 8)));
      var pw = tf.nn.conv2d(r1, weights(tf, 1, 1, 8, 6), List.of(1L, 1L, 1L, 1L), "VALID");
      var bn = tf.nn.fusedBatchNorm(pw, uniform(tf, 0.5f, 1.5f, 6), weights(tf, 6),
          weights(tf, 6), uniform(tf, 0.5f, 2f, 6), FusedBatchNorm.isTraining(false));
      var padded = tf.pad(tf.nn.relu(bn.y()),
          tf.constant(new int[][] {{0, 0}, {1, 2}, {0, 1}, {0, 0}}), tf.constant(0f));
      var mean = tf.math.mean(padded, tf.constant(new int[] {1, 2}), Mean.keepDims(false));
      var expanded = tf.expandDims(mean, tf.constant(1));
      var squeezed = tf.squeeze(expanded);
      var prob = tf.withName("prob").nn.softmax(squeezed);
      check(g, "x", new long[] {2, 11, 11, 4}, List.of(prob.op().name(), dw.op().name()));
    }
  }

  @Test
  void unfrozenVariableIsRefusedNamingTheFile() throws IOException {
    try (org.tensorflow.Graph g = new org.tensorflow.Graph()) {
      Ops tf = Ops.create(g);
      var x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 4)));
      var w = tf.withName("w").variable(Shape.of(4, 2), TFloat32.class);
      tf.linalg.matMul(x, w);
      Path pb = write(g);
      InvalidModelException e = assertThrows(InvalidModelException.class,
          () -> TfImporter.importFile(pb));
      assertTrue(e.getMessage().startsWith(pb.toString()), e.getMessage());
      assertTrue(e.getMessage().contains("not a frozen graph: node 'w'"), e.getMessage());
    }
  }

  @Test
  void unknownOpIsAnErrorNamingOpAndNode() throws IOException {
    try (org.tensorflow.Graph g = new org.tensorflow.Graph()) {
      Ops tf = Ops.create(g);
      var x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 4)));
      tf.withName("wave").math.cos(x);
      Path pb = write(g);
      UnsupportedOpException e = assertThrows(UnsupportedOpException.class,
          () -> TfImporter.importFile(pb));
      assertTrue(e.getMessage().startsWith(pb.toString() + ": node 'wave' has op 'Cos'"),
          e.getMessage());
    }
  }

  private Operand<TFloat32> weights(Ops tf, long... dims) {
    return uniform(tf, -0.5f, 0.5f, dims);
  }

  private Operand<TFloat32> uniform(Ops tf, float lo, float hi, long... dims) {
    return tf.constant(Shape.of(dims), DataBuffers.of(values(lo, hi, dims)));
  }

  private float[] values(float lo, float hi, long... dims) {
    float[] v = new float[(int) Tensor.numElements(dims)];
    for (int i = 0; i < v.length; i++) {
      v[i] = lo + (hi - lo) * (float) rnd.nextDouble();
    }
    return v;
  }

  private Path write(org.tensorflow.Graph g) throws IOException {
    Path pb = work.resolve("frozen.pb");
    Files.write(pb, g.toGraphDef().toByteArray());
    return pb;
  }

  /**
   * Runs the graph in TensorFlow on a seeded input, writes it as a frozen GraphDef, imports it
   * with {@code outputs} as the graph outputs and compares every output.
   */
  private void check(org.tensorflow.Graph g, String input, long[] dims, List<String> outputs)
      throws IOException {
    float[] data = values(-1f, 1f, dims);
    Map<String, Tensor> expected = new java.util.LinkedHashMap<>();
    try (Session s = new Session(g);
        TFloat32 in = TFloat32.tensorOf(Shape.of(dims), DataBuffers.of(data))) {
      Session.Runner runner = s.runner().feed(input, in);
      outputs.forEach(runner::fetch);
      try (Result r = runner.run()) {
        for (int k = 0; k < outputs.size(); k++) {
          TFloat32 out = (TFloat32) r.get(k);
          float[] values = new float[(int) out.shape().size()];
          out.copyTo(DataBuffers.of(values, false, false));
          expected.put(outputs.get(k), Tensor.ofFloats(out.shape().asArray(), values));
        }
      }
    }
    Path pb = write(g);
    Graph imported = TfImporter.importFile(pb, outputs);
    assertEquals(List.of(), GraphVerifier.verify(imported), "invalid graph");
    Map<String, Tensor> inputs = Map.of(input, Tensor.ofFloats(dims, data));
    StrictAgreement.assertAgrees("evaluator", expected, Evaluator.standard().runTensors(imported, inputs));
    StrictAgreement.assertAgrees("ORT on the export", expected,
        ORT.verifier().run(OnnxExporter.toBytes(imported), inputs));
    Graph o2 = Optimizer.optimize(imported, new OptimizeOptions(Level.O2, Set.of(), Set.of(), null,
        Map.of(input, dims), false, OptimizeOptions.DEFAULT_FOLD_CAP)).graph();
    assertEquals(List.of(), GraphVerifier.verify(o2), "invalid graph after O2");
    StrictAgreement.assertAgrees("O2 evaluator", expected, Evaluator.standard().runTensors(o2, inputs));
    StrictAgreement.assertAgrees("O2 ORT", expected, ORT.verifier().run(OnnxExporter.toBytes(o2), inputs));
    System.out.printf("%s: %d nodes imported, %d after O2 (%s)%n", pb.getFileName(),
        imported.totalNodeCount(), o2.totalNodeCount(), o2.opHistogram());
  }
}
