package dev.convoy.transforms.verify;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.transforms.convert.ModelFormat;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Verifies a converted or optimized graph against the model file it came from, on seeded inputs,
 * with the runtimes {@link Oracle} chooses: ONNX Runtime on the original file when it is ONNX (run
 * from its file, so external data works), else Convoy's evaluator on the source graph, plus the
 * source runtime's recorded outputs where {@code NAME.ref/} sits beside the model ({@link
 * ReferenceSets}); the candidate in the runtime of its artifact format. Input shapes come from the
 * model's {@code .oracle.args} file, overridden by the caller's. A mismatch is explained as {@link
 * Judgement} says. {@code optimize --verify} and the zoo pipeline's {@code VerifyModels} both
 * verify through here.
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
   * Compares {@code candidate}, to be written as {@code artifact}, with the model in {@code
   * originalFile} (already loaded as {@code original}) and, when the outputs differ, explains
   * where: the first diverging node, and the culprit named by {@code bisect} (asked only then).
   */
  public static Judgement verify(Path originalFile, Graph original, Graph candidate,
      ModelFormat artifact, Map<String, long[]> shapeOverrides, Supplier<String> bisect) {
    Map<String, Tensor> inputs =
        SeededInputs.generate(original, shapes(originalFile, shapeOverrides));
    Oracle oracle = Oracle.choose(ModelFormat.sniff(originalFile), artifact);
    Graph nchw = NchwView.of(candidate);
    OrtVerifier.Verification outputs;
    try (OrtVerifier ort = new OrtVerifier()) {
      outputs = compare(oracle, originalFile, original, nchw, inputs, ort,
          Evaluator.standard());
    }
    return Judgement.of(outputs,
        () -> NodeByNode.locate(original, nchw, inputs, OrtVerifier.Tolerance.DEFAULT),
        bisect);
  }

  /**
   * The outputs of the original (file {@code sourceFile}, imported as {@code source}) and of
   * {@code candidate} on {@code inputs}, each from the runtime {@code oracle} names, compared at
   * the default tolerance; for a reference from Convoy's evaluator, the candidate is also checked
   * against {@code NAME.ref/} beside {@code sourceFile} when there is one (in the evaluator, which
   * is what reads those sets). A candidate with NHWC inputs or outputs ({@code --io-layout nhwc})
   * runs as its {@link NchwView}: on the seeded inputs transposed, its outputs transposed back.
   */
  public static OrtVerifier.Verification compare(Oracle oracle, Path sourceFile, Graph source,
      Graph candidate, Map<String, Tensor> inputs, OrtVerifier ort, Evaluator evaluator) {
    candidate = NchwView.of(candidate);
    Map<String, Tensor> expected = oracle.reference() == Oracle.Runtime.ORT
        ? ort.run(sourceFile, inputs)
        : evaluator.runTensors(source, inputs);
    Map<String, Tensor> actual = oracle.candidate() == Oracle.Runtime.ORT
        ? runOnOrt(ort, candidate, inputs)
        : evaluator.runTensors(candidate, inputs);
    OrtVerifier.Verification seeded =
        OrtVerifier.compareOutputs(expected, actual, OrtVerifier.Tolerance.DEFAULT);
    Path refs = oracle.reference() == Oracle.Runtime.EVALUATOR
        ? ReferenceSets.dirFor(sourceFile) : null;
    if (refs == null) {
      return seeded;
    }
    List<OrtVerifier.OutputComparison> all = new ArrayList<>(seeded.outputs());
    all.addAll(ReferenceSets.verify(refs, candidate, evaluator).outputs());
    return OrtVerifier.Verification.of(all);
  }

  /**
   * Runs {@code g} on ONNX Runtime: from bytes when it fits in one protobuf, else from a scratch
   * file with external data beside it (weights never pass through the heap).
   */
  private static Map<String, Tensor> runOnOrt(OrtVerifier ort, Graph g,
      Map<String, Tensor> inputs) {
    if (OnnxExporter.fitsInOneProto(g)) {
      return ort.run(OnnxExporter.toBytes(g), inputs);
    }
    try {
      Path dir = Files.createTempDirectory("convoy-verify-");
      Path file = dir.resolve("candidate.onnx");
      try {
        OnnxExporter.write(g, file);
        return ort.run(file, inputs);
      } finally {
        try (var files = Files.list(dir)) {
          for (Path f : files.toList()) {
            Files.deleteIfExists(f);
          }
        }
        Files.deleteIfExists(dir);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
