package dev.convoy.transforms.verify;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.transforms.convert.ModelFormat;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Verifies a converted or optimized graph against the model file it came from, on seeded inputs:
 * the oracle is ONNX Runtime when the original is ONNX (run from its file, so external data
 * works), else Convoy's evaluator on the original graph. Input shapes come from the model's
 * {@code .oracle.args} file, overridden by the caller's. A mismatch is explained as {@link Judgement}
 * says.
 */
public final class ModelVerification {
  private ModelVerification() {}

  /** The shapes to feed: the model's oracle args, then {@code overrides} on top. */
  public static Map<String, long[]> shapes(Path modelFile, Map<String, long[]> overrides) {
    Map<String, long[]> shapes = new LinkedHashMap<>(OracleArgs.read(modelFile).shapes());
    shapes.putAll(overrides);
    return shapes;
  }

  /**
   * Compares {@code candidate} with the model in {@code originalFile} (already loaded as {@code
   * original}) and, when the outputs differ, explains where: the first diverging node, and the
   * culprit named by {@code bisect} (asked only then).
   */
  public static Judgement verify(Path originalFile, Graph original, Graph candidate,
      Map<String, long[]> shapeOverrides, Supplier<String> bisect) {
    Map<String, Tensor> inputs =
        SeededInputs.generate(original, shapes(originalFile, shapeOverrides));
    OrtVerifier.Verification outputs;
    if (ModelFormat.sniff(originalFile) == ModelFormat.ONNX) {
      try (OrtVerifier ort = new OrtVerifier()) {
        Map<String, Tensor> expected = ort.run(originalFile, inputs);
        Map<String, Tensor> actual = ort.run(OnnxExporter.toBytes(candidate), inputs);
        outputs = OrtVerifier.compareOutputs(expected, actual, OrtVerifier.Tolerance.DEFAULT);
      }
    } else {
      Evaluator evaluator = Evaluator.standard();
      outputs = OrtVerifier.compareOutputs(
          evaluator.runTensors(original, inputs), evaluator.runTensors(candidate, inputs),
          OrtVerifier.Tolerance.DEFAULT);
    }
    return Judgement.of(outputs,
        () -> NodeByNode.locate(original, candidate, inputs, OrtVerifier.Tolerance.DEFAULT),
        bisect);
  }
}
