package dev.convoy.transforms.verify;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.transforms.convert.ModelFormat;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Verifies a converted or optimized graph against the model file it came from, on seeded inputs:
 * the oracle is ONNX Runtime when the original is ONNX (run from its file, so external data
 * works), else Convoy's evaluator on the source graph, plus the source runtime's recorded outputs
 * where {@code NAME.ref/} sits beside the model ({@link ReferenceSets}). Input shapes come from the
 * model's {@code .oracle.args} file, overridden by the caller's. A mismatch is explained as {@link
 * Judgement} says.
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
      outputs = againstSource(originalFile, original, candidate, inputs, Evaluator.standard());
    }
    return Judgement.of(outputs,
        () -> NodeByNode.locate(original, candidate, inputs, OrtVerifier.Tolerance.DEFAULT),
        bisect);
  }

  /**
   * The check for a source Convoy cannot hand to ONNX Runtime as it is (TFLite, Caffe, ...): the
   * imported source graph and the candidate through Convoy's evaluator on {@code inputs}, and the
   * candidate against {@code NAME.ref/} beside {@code sourceFile} when there is one.
   */
  public static OrtVerifier.Verification againstSource(Path sourceFile, Graph source,
      Graph candidate, Map<String, Tensor> inputs, Evaluator evaluator) {
    OrtVerifier.Verification seeded = OrtVerifier.compareOutputs(
        evaluator.runTensors(source, inputs), evaluator.runTensors(candidate, inputs),
        OrtVerifier.Tolerance.DEFAULT);
    Path refs = ReferenceSets.dirFor(sourceFile);
    if (refs == null) {
      return seeded;
    }
    List<OrtVerifier.OutputComparison> all = new ArrayList<>(seeded.outputs());
    all.addAll(ReferenceSets.verify(refs, candidate, evaluator).outputs());
    return OrtVerifier.Verification.of(all);
  }
}
