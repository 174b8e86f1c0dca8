package dev.convoy.transforms.testing;

import dev.convoy.ir.graph.Tensor;
import dev.convoy.transforms.verify.OrtVerifier;
import dev.convoy.transforms.verify.OrtVerifier.OutputComparison;

/**
 * How closely a whole model run by Convoy's evaluator must agree with ONNX Runtime's output.
 * The bar is rtol 1e-4 / atol 1e-5 (integers exact). Two correct implementations can still drift
 * apart end to end on deep or dynamically quantized nets, where summation-order ulps grow through
 * hundreds of layers or tip a DynamicQuantizeLinear rounding the other way (yolox_nano,
 * all-minilm-l6-v2-q); such a float output is accepted as drift when its cosine similarity with
 * ORT's is at least {@link #MIN_COSINE}. Kernel correctness itself is held to the strict bar node
 * by node (EvaluatorNodeByNodeTest), where no error can accumulate.
 */
public final class EndToEndAgreement {
  /** The least cosine similarity a drifting float output must keep. */
  public static final double MIN_COSINE = 0.999;

  private EndToEndAgreement() {}

  /** {@code null} when {@code actual} agrees strictly, else why it does not (or that it drifted). */
  public static Verdict judge(String name, Tensor expected, Tensor actual) {
    OutputComparison c =
        OrtVerifier.compareTensors(name, expected, actual, OrtVerifier.Tolerance.DEFAULT);
    if (c.pass()) {
      return new Verdict(true, false, c);
    }
    boolean drift = c.problem() == null && expected.dtype().isFloatingPoint()
        && c.cosine() >= MIN_COSINE;
    return new Verdict(drift, drift, c);
  }

  /** Whether the output is accepted, and whether only as drift. */
  public record Verdict(boolean accepted, boolean drifted, OutputComparison comparison) {
    public String describe() {
      OutputComparison c = comparison;
      return c.name() + ": max abs error " + c.maxAbsError() + ", max rel error "
          + c.maxRelError() + ", cosine " + c.cosine()
          + (c.problem() != null ? " (" + c.problem() + ")" : "");
    }
  }
}
