package dev.convoy.transforms.optimize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.verify.GraphVerifier;
import dev.convoy.transforms.verify.SeededInputs;
import java.util.Map;

/** Checks shared by rule tests: structural validity and same outputs on seeded inputs. */
public final class GoldenChecks {
  private GoldenChecks() {}

  public static void assertValid(Graph g, String what) {
    var problems = GraphVerifier.verify(g);
    assertTrue(problems.isEmpty(), what + " left an invalid graph: " + problems);
  }

  /** Runs both graphs through the evaluator on the same seeded inputs and compares outputs. */
  public static void assertSameOutputs(Graph expected, Graph actual, OptimizeOptions o, String what) {
    Map<String, Tensor> inputs = SeededInputs.generate(expected, o.inputShapes());
    Evaluator ev = Evaluator.standard();
    Map<String, Tensor> want = ev.runTensors(expected, inputs);
    Map<String, Tensor> got = ev.runTensors(actual, inputs);
    assertEquals(want.keySet(), got.keySet(), what + ": output names");
    for (var e : want.entrySet()) {
      Tensor a = e.getValue();
      Tensor b = got.get(e.getKey());
      assertEquals(a.dtype(), b.dtype(), what + ": dtype of " + e.getKey());
      assertEquals(a.shape(), b.shape(), what + ": shape of " + e.getKey());
      if (a.dtype() == DType.STRING) {
        assertTrue(java.util.Arrays.deepEquals(a.strings(), b.strings()), what + ": " + e.getKey());
        continue;
      }
      double[] x = a.toDoubleArray();
      double[] y = b.toDoubleArray();
      for (int i = 0; i < x.length; i++) {
        boolean close = x[i] == y[i] || Math.abs(x[i] - y[i]) <= 1e-5 + 1e-4 * Math.abs(x[i])
            || (Double.isNaN(x[i]) && Double.isNaN(y[i]));
        assertTrue(close, what + ": output " + e.getKey() + "[" + i + "] " + y[i] + " vs " + x[i]);
      }
    }
  }
}
