package dev.convoy.transforms.optimize.fuse;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.verify.OrtVerifier;
import java.util.Map;

/**
 * How far a QDQ group's integer form moves its output {@code y}, in quantization steps: ONNX
 * Runtime on the QDQ graph against ONNX Runtime and Convoy's evaluator on the rewritten one. The
 * requantization tests of {@code fuse-qdq-conv} and {@code fuse-qdq-matmul} add up these counts
 * over their seeded random groups; more than one step on any output fails.
 */
record RequantizationSteps(long ort, long eval, long elements) {
  static final RequantizationSteps NONE = new RequantizationSteps(0, 0, 0);

  /** The steps output {@code y} moves on {@code in}; {@code what} names the case on failure. */
  static RequantizationSteps measure(OrtVerifier runtime, Graph before, Graph after,
      Map<String, Tensor> in, float yScale, String what) {
    float[] want = runtime.run(OnnxExporter.toBytes(before), in).get("y").toFloatArray();
    float[] got = runtime.run(OnnxExporter.toBytes(after), in).get("y").toFloatArray();
    float[] eval = Evaluator.standard().runTensors(after, in).get("y").toFloatArray();
    long ort = 0;
    long ev = 0;
    for (int i = 0; i < want.length; i++) {
      long stepsOrt = Math.round(Math.abs(want[i] - got[i]) / yScale);
      long stepsEval = Math.round(Math.abs(want[i] - eval[i]) / yScale);
      assertTrue(stepsOrt <= 1 && stepsEval <= 1, what + " element " + i + " moved by "
          + Math.max(stepsOrt, stepsEval) + " steps");
      ort += stepsOrt;
      ev += stepsEval;
    }
    return new RequantizationSteps(ort, ev, want.length);
  }

  RequantizationSteps plus(RequantizationSteps o) {
    return new RequantizationSteps(ort + o.ort, eval + o.eval, elements + o.elements);
  }
}
