package dev.convoy.transforms.differential;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.RuntimeValue;
import dev.convoy.ir.text.GraphParser;
import dev.convoy.transforms.testing.OrtFixture;
import dev.convoy.transforms.testing.OrtIntermediates;
import dev.convoy.transforms.verify.SeededInputs;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Where the float32 runtime drift of the open differential seeds comes from: the generated
 * transformers 40507, 72315, 43695, 105229 and 106474, whose evaluator and ONNX Runtime results on
 * the original differ by 2.8e-5..4.1e-4 after an ill-conditioned normalization. Every node is fed
 * the values ONNX Runtime computed for its inputs (every intermediate exposed as an ORT output);
 * wherever the evaluator's output is not ORT's bit for bit, each element must be no further from
 * the same node computed in float64 on the same inputs than ORT's element is, or within one ulp
 * of it. So each kernel is at least as accurate as ORT's wherever they differ (measured: Softmax
 * 1-2 ulps apart, ORT the further side on 42 of 98 elements of 40507's and the evaluator on none;
 * Erf 1 ulp; one ReduceMean over 3 values 1 ulp, both sides equally far from the exact mean;
 * 106474's LayerNormalization op 3-4 ulps, ORT up to 1.3e-7 from the float64 value where the
 * evaluator is within 1.7e-8), and the end to end difference is that last-bit noise amplified by
 * the normalization's cancellation, not a kernel that sums in a worse order. A kernel made less
 * accurate than ONNX Runtime's (a float accumulator, a reciprocal multiply) fails here.
 */
class RuntimeDriftAnatomyTest {
  @RegisterExtension static final OrtFixture ORT = new OrtFixture();

  private static final Evaluator EVALUATOR = Evaluator.standard();

  @ParameterizedTest(name = "transformer-{0}")
  @ValueSource(longs = {40507, 72315, 43695, 105229, 106474})
  void everyKernelIsOrtsBitsOrNearerTheExactValue(long seed) {
    ModelGenerator.Generated gen = ModelGenerator.generate(seed);
    Graph g = GraphParser.parse(gen.text());
    Map<String, Tensor> inputs = SeededInputs.generate(g, gen.shapes(), seed);
    Map<String, Tensor> ort = OrtIntermediates.everyValue(ORT.verifier(), g, inputs);

    List<String> problems = new ArrayList<>();
    int differing = 0;
    for (Node n : g.nodes()) {
      List<RuntimeValue> narrow = new ArrayList<>();
      List<RuntimeValue> wide = new ArrayList<>();
      for (Value in : n.inputs()) {
        Tensor t = in == null ? null : ort.get(in.name());
        narrow.add(t == null ? null : NdArray.fromTensor(t));
        wide.add(t == null ? null : t.dtype() == DType.FLOAT
            ? NdArray.ofDoubles(t.dims(), t.toDoubleArray()) : NdArray.fromTensor(t));
      }
      Value out = n.output(0);
      if (ort.get(out.name()).dtype() != DType.FLOAT) {
        continue;
      }
      float[] want = floats(ort.get(out.name()));
      float[] got = floats(((NdArray) EVALUATOR.evaluateNode(n, narrow).get(0)).toTensor());
      double[] exact = ((NdArray) EVALUATOR.evaluateNode(n, wide).get(0)).toTensor()
          .toDoubleArray();
      boolean differs = false;
      for (int i = 0; i < want.length; i++) {
        if (Float.floatToIntBits(want[i]) == Float.floatToIntBits(got[i])) {
          continue;
        }
        differs = true;
        double allowed = Math.max(Math.abs(want[i] - exact[i]), Math.ulp((float) exact[i]));
        if (!(Math.abs(got[i] - exact[i]) <= allowed)) {
          problems.add(n.opType() + " " + out.name() + "[" + i + "]: ORT " + want[i]
              + ", evaluator " + got[i] + ", float64 " + exact[i]);
        }
      }
      differing += differs ? 1 : 0;
    }
    System.out.printf("transformer-%d: %d of %d nodes differ from ONNX Runtime given its inputs%n",
        seed, differing, g.nodes().size());
    assertTrue(problems.isEmpty(), "transformer-" + seed + ": " + problems);
  }

  private static float[] floats(Tensor t) {
    double[] d = t.toDoubleArray();
    float[] f = new float[d.length];
    for (int i = 0; i < d.length; i++) {
      f[i] = (float) d[i];
    }
    return f;
  }
}
