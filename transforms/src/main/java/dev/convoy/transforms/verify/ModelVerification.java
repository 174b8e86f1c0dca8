package dev.convoy.transforms.verify;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.transforms.convert.ModelFormat;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Verifies a converted or optimized graph against the model file it came from, on seeded inputs:
 * the oracle is ONNX Runtime when the original is ONNX (run from its file, so external data
 * works), else Convoy's evaluator on the original graph. Input shapes come from the model's
 * {@code .oracle.args} file, overridden by the caller's.
 */
public final class ModelVerification {
  private ModelVerification() {}

  /** The shapes to feed: the model's oracle args, then {@code overrides} on top. */
  public static Map<String, long[]> shapes(Path modelFile, Map<String, long[]> overrides) {
    Map<String, long[]> shapes = new LinkedHashMap<>(OracleArgs.read(modelFile).shapes());
    shapes.putAll(overrides);
    return shapes;
  }

  /** Compares {@code candidate} with the model in {@code originalFile} (already loaded as {@code original}). */
  public static OrtVerifier.Verification verify(
      Path originalFile, Graph original, Graph candidate, Map<String, long[]> shapeOverrides) {
    Map<String, Tensor> inputs =
        SeededInputs.generate(original, shapes(originalFile, shapeOverrides));
    if (ModelFormat.sniff(originalFile) == ModelFormat.ONNX) {
      try (OrtVerifier ort = new OrtVerifier()) {
        Map<String, Tensor> expected = ort.run(originalFile, inputs);
        Map<String, Tensor> actual = ort.run(OnnxExporter.toBytes(candidate), inputs);
        return OrtVerifier.compareOutputs(expected, actual, OrtVerifier.Tolerance.DEFAULT);
      }
    }
    Evaluator evaluator = Evaluator.standard();
    return OrtVerifier.compareOutputs(
        evaluator.runTensors(original, inputs), evaluator.runTensors(candidate, inputs),
        OrtVerifier.Tolerance.DEFAULT);
  }
}
