package dev.convoy.transforms.verify;

import dev.convoy.transforms.convert.ModelFormat;

/**
 * Which runtime computes a verification's two sides, chosen in this one place for {@code optimize
 * --verify} and the zoo pipeline alike. The expected outputs come from ONNX Runtime on the original
 * file when it is ONNX, else from Convoy's evaluator on the imported source graph (no runtime of a
 * TFLite or Caffe model runs here). The candidate runs where its artifact will run: a {@code .cvy}
 * (which may hold Convoy's own fused ops) in Convoy's evaluator, an ONNX artifact in ONNX Runtime,
 * so an ONNX result ONNX Runtime cannot load is a failure, never a pass.
 */
public record Oracle(Runtime reference, Runtime candidate) {
  /** A runtime that computes one side, with its name in the {@code verifications} table. */
  public enum Runtime {
    ORT("ort", "ONNX Runtime"),
    EVALUATOR("convoy-evaluator", "Convoy's evaluator");

    private final String label;
    private final String displayName;

    Runtime(String label, String displayName) {
      this.label = label;
      this.displayName = displayName;
    }

    public String label() {
      return label;
    }

    /** The runtime's name in a sentence. */
    public String displayName() {
      return displayName;
    }
  }

  /** The runtimes for a model in format {@code source} written as {@code artifact}. */
  public static Oracle choose(ModelFormat source, ModelFormat artifact) {
    return new Oracle(source == ModelFormat.ONNX ? Runtime.ORT : Runtime.EVALUATOR,
        artifact == ModelFormat.CVY ? Runtime.EVALUATOR : Runtime.ORT);
  }

  /**
   * Whether the two sides run in different runtimes, so that a disagreement may be the runtimes'
   * own ({@link RuntimeDrift}) rather than the result's.
   */
  public boolean crossesRuntimes() {
    return reference != candidate;
  }

  /**
   * The {@code verifications.oracle} label: the reference runtime's name, followed by {@code
   * /} and the candidate's where they differ ({@code ort}, {@code ort/convoy-evaluator}, {@code
   * convoy-evaluator}, {@code convoy-evaluator/ort}).
   */
  public String label() {
    return reference == candidate ? reference.label() : reference.label() + "/" + candidate.label();
  }
}
