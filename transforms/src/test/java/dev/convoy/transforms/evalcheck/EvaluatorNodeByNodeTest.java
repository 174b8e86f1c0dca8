package dev.convoy.transforms.evalcheck;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.RuntimeValue;
import dev.convoy.ir.testing.TestData;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import dev.convoy.transforms.testing.OracleSkips;
import dev.convoy.transforms.testing.OrtFixture;
import dev.convoy.transforms.testing.OrtIntermediates;
import dev.convoy.transforms.verify.ModelVerification;
import dev.convoy.transforms.verify.OrtVerifier;
import dev.convoy.transforms.verify.SeededInputs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kernel against ONNX Runtime on real data: each top-level node of each dev model is fed
 * the values ONNX Runtime computed for its inputs (every intermediate is exposed as an output of
 * the ORT run) and must reproduce ORT's outputs at rtol 1e-4 / atol 1e-5, integers exactly.
 *
 * <p>This is the strict form of "the evaluator matches ONNX Runtime": end to end, two correct
 * implementations drift apart on deep or dynamically quantized nets (a summation order changes
 * the last bits of a Conv, a DynamicQuantizeLinear downstream rounds one value the other way),
 * which {@link EvaluatorVsOrtTest} bounds; here no error can accumulate, so any disagreement is
 * the kernel's own. Nodes owning subgraphs are checked end to end by the control-flow tests.
 *
 * <p>One allowance, for named reductions only: a long dot product (a 3x3 Conv over 256 channels
 * sums 2304 terms) computed in another order differs by a few ulps of its largest terms, which is
 * a large relative error on outputs that cancel to near zero (ppocrv4_det: 1e-3 absolute on values
 * near 4e4). The nodes where this was measured are listed in {@link #SCALE_ALLOWANCE} with their
 * bound (largest error over the output tensor's largest magnitude, twice the measured value so a
 * different thread count's summation order still fits); such a node passes within its bound, and
 * no other node gets any allowance. A wrong kernel is off by far more. Outputs nothing reads are
 * not compared (ONNX Runtime zero-fills the opset-9 Dropout mask; the spec and Convoy give ones).
 */
class EvaluatorNodeByNodeTest {
  @RegisterExtension static final OrtFixture ORT = new OrtFixture();

  private static final Evaluator EVALUATOR = Evaluator.standard();

  /**
   * The nodes (by model and output value) whose float output differs from ONNX Runtime's beyond
   * rtol/atol through summation order alone, each with its allowed largest error relative to the
   * output tensor's largest magnitude. Measured with {@code -Dconvoy.printScaleErrors=true}.
   */
  static final Map<String, Double> SCALE_ALLOWANCE = Map.of(
      // ppocrv4_det's last 3x3 Convs over 256 channels (2304-term sums) whose outputs cancel to
      // near zero; with 2-D convolutions summing in (kh, kw, C) order (the channels-last
      // kernels' order) measured 1.16e-6, 5.0e-7, 6.7e-7, 1.42e-6, 1.15e-6 of values near 4e4
      // (in (C, kh, kw) order conv2d_485 passed strictly and the others measured 7.2e-7,
      // 7.1e-7, 9.8e-7, 9.6e-7: neither order is nearer ONNX Runtime's).
      "ppocrv4_det.onnx conv2d_485.tmp_0", 2.5e-6,
      "ppocrv4_det.onnx conv2d_488.tmp_0", 1.5e-6,
      "ppocrv4_det.onnx conv2d_491.tmp_0", 1.5e-6,
      "ppocrv4_det.onnx conv2d_494.tmp_0", 3e-6,
      "ppocrv4_det.onnx conv2d_497.tmp_0", 2.5e-6);

  private static final boolean PRINT_SCALE_ERRORS = Boolean.getBoolean("convoy.printScaleErrors");

  static List<Path> models() {
    return TestData.devModelFiles();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void everyNodeReproducesOrtGivenOrtInputs(Path model) {
    String name = model.getFileName().toString();
    Graph g = OnnxImporter.importFile(model);
    OracleSkips.requireSupported(EVALUATOR, g, name);
    Map<String, Tensor> inputs =
        SeededInputs.generate(g, ModelVerification.shapes(model, Map.of()));
    Map<String, Tensor> values = OrtIntermediates.everyValue(ORT.verifier(), g, inputs);

    List<String> problems = new ArrayList<>();
    Set<String> compared = new HashSet<>();
    int checked = 0;
    for (Node n : g.nodes()) {
      if (!n.subgraphs().isEmpty()) {
        continue;
      }
      List<RuntimeValue> ins = new ArrayList<>();
      for (Value in : n.inputs()) {
        ins.add(in == null ? null : NdArray.fromTensor(values.get(in.name())));
      }
      List<RuntimeValue> outs = EVALUATOR.evaluateNode(n, ins);
      for (int k = 0; k < n.outputCount(); k++) {
        Value out = n.output(k);
        if (out == null || !values.containsKey(out.name()) || !out.hasUses()) {
          continue;
        }
        compared.add(name + " " + out.name());
        Tensor want = values.get(out.name());
        var c = OrtVerifier.compareTensors(out.name(), want,
            ((NdArray) outs.get(k)).toTensor(), OrtVerifier.Tolerance.DEFAULT);
        if (!c.pass() && !withinAllowance(name + " " + out.name(), want, c)) {
          problems.add(n + " output " + out.name() + ": max abs error " + c.maxAbsError()
              + ", max rel error " + c.maxRelError()
              + (c.problem() != null ? " (" + c.problem() + ")" : ""));
        }
      }
      checked++;
    }
    System.out.printf("%s: %d nodes reproduce ONNX Runtime given its inputs, %d differ%n", name,
        checked - problems.size(), problems.size());
    assertTrue(problems.isEmpty(), name + ": " + problems);
    SCALE_ALLOWANCE.keySet().stream().filter(k -> k.startsWith(name + " "))
        .forEach(k -> assertTrue(compared.contains(k), k + " has an allowance but no such output"));
  }

  /** Whether {@code key}'s float output is a listed reduction within its allowance. */
  private static boolean withinAllowance(String key, Tensor expected,
      OrtVerifier.OutputComparison c) {
    if (!expected.dtype().isFloatingPoint() || c.problem() != null) {
      return false;
    }
    double scale = 0;
    for (double x : expected.toDoubleArray()) {
      scale = Math.max(scale, Math.abs(x));
    }
    double relative = (c.maxAbsError() - OrtVerifier.Tolerance.DEFAULT.atol()) / scale;
    if (PRINT_SCALE_ERRORS) {
      System.out.printf("scale error: %s %.3e%n", key, relative);
    }
    Double allowed = SCALE_ALLOWANCE.get(key);
    return allowed != null && relative <= allowed;
  }
}
