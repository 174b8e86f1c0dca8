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
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
import dev.convoy.transforms.testing.OracleSkips;
import dev.convoy.transforms.testing.OrtFixture;
import dev.convoy.transforms.verify.ModelVerification;
import dev.convoy.transforms.verify.OrtVerifier;
import dev.convoy.transforms.verify.SeededInputs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * <p>One allowance, for reductions: a long dot product (a 3x3 Conv over 256 channels sums 2304
 * terms) computed in another order differs by a few ulps of its largest terms, which is a large
 * relative error on outputs that cancel to near zero (ppocrv4_det: 1e-3 absolute on values near
 * 4e4). A float output also passes when its largest error is within {@link #SCALE_TOL} of the
 * tensor's largest magnitude; a wrong kernel is off by far more. Outputs nothing reads are not
 * compared (ONNX Runtime zero-fills the opset-9 Dropout mask; the spec and Convoy give ones).
 */
class EvaluatorNodeByNodeTest {
  @RegisterExtension static final OrtFixture ORT = new OrtFixture();

  private static final Evaluator EVALUATOR = Evaluator.standard();

  /** Largest error allowed relative to the output tensor's largest magnitude (floats). */
  static final double SCALE_TOL = 1e-5;

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
    Graph exposed = g.copy();
    List<String> graphOutputs = exposed.outputs().stream().map(Value::name).toList();
    for (Node n : exposed.nodes()) {
      for (Value v : n.outputs()) {
        if (v != null && !graphOutputs.contains(v.name())) {
          exposed.addOutput(v);
        }
      }
    }
    Map<String, Tensor> values = new HashMap<>(inputs);
    values.putAll(ORT.verifier().run(OnnxExporter.toBytes(exposed), inputs));
    for (Value init : g.initializers()) {
      values.put(init.name(), init.constant());
    }

    List<String> problems = new ArrayList<>();
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
        Tensor want = values.get(out.name());
        var c = OrtVerifier.compareTensors(out.name(), want,
            ((NdArray) outs.get(k)).toTensor(), OrtVerifier.Tolerance.DEFAULT);
        if (!c.pass() && !withinScale(want, c)) {
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
  }

  /** Whether a float output's largest error is within {@link #SCALE_TOL} of its largest value. */
  private static boolean withinScale(Tensor expected, OrtVerifier.OutputComparison c) {
    if (!expected.dtype().isFloatingPoint() || c.problem() != null) {
      return false;
    }
    double scale = 0;
    for (double x : expected.toDoubleArray()) {
      scale = Math.max(scale, Math.abs(x));
    }
    return c.maxAbsError() <= OrtVerifier.Tolerance.DEFAULT.atol() + SCALE_TOL * scale;
  }
}
