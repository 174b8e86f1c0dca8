package dev.convoy.transforms.verify;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.DType;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.transforms.convert.ModelFormat;
import dev.convoy.transforms.convert.onnx.OnnxExporter;
import dev.convoy.transforms.convert.onnx.OnnxImporter;
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
 * Judgement} says: first by {@link RuntimeDrift} when the two sides run in different runtimes. {@code optimize --verify} and the zoo pipeline's {@code VerifyModels} both
 * verify through here.
 */
public final class ModelVerification {
  /**
   * The largest original widened to float64 for {@link PrecisionDrift}: its float32 weights double
   * in size, and one protobuf holds at most 2 GiB.
   */
  static final long MAX_WIDENED_BYTES = 512L << 20;

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
   * why, as {@link #judge} does.
   */
  public static Judgement verify(Path originalFile, Graph original, Graph candidate,
      ModelFormat artifact, Map<String, long[]> shapeOverrides, Supplier<String> bisect) {
    Map<String, Tensor> inputs =
        SeededInputs.generate(original, shapes(originalFile, shapeOverrides));
    Oracle oracle = Oracle.choose(ModelFormat.sniff(originalFile), artifact);
    try (OrtVerifier ort = new OrtVerifier()) {
      return judge(oracle, originalFile, original, candidate, inputs, ort, Evaluator.standard(),
          bisect);
    }
  }

  /**
   * Judges {@code written} (the candidate) against the original (file {@code sourceFile}, imported as {@code
   * source}) on {@code inputs}, each side in the runtime {@code oracle} names, at the default
   * tolerance; for a reference from Convoy's evaluator, the candidate is also checked against
   * {@code NAME.ref/} beside {@code sourceFile} when there is one (in the evaluator, which is what
   * reads those sets). When the outputs differ and the two sides run in different runtimes, the
   * original also runs in the candidate's runtime, and a difference that runtime makes on the
   * original itself is {@link RuntimeDrift}, not a failure. Otherwise the first diverging node is
   * found in Convoy's evaluator and {@code bisect} names the culprit (asked only then). A
   * candidate with NHWC inputs or outputs ({@code --io-layout nhwc}) runs as its {@link NchwView}:
   * on the seeded inputs transposed, its outputs transposed back.
   */
  public static Judgement judge(Oracle oracle, Path sourceFile, Graph source, Graph written,
      Map<String, Tensor> inputs, OrtVerifier ort, Evaluator evaluator, Supplier<String> bisect) {
    Graph candidate = NchwView.of(written);
    Map<String, Tensor> expected = oracle.reference() == Oracle.Runtime.ORT
        ? ort.run(sourceFile, inputs)
        : evaluator.runTensors(source, inputs);
    Map<String, Tensor> actual = run(oracle.candidate(), candidate, inputs, ort, evaluator);
    OrtVerifier.Verification seeded =
        OrtVerifier.compareOutputs(expected, actual, OrtVerifier.Tolerance.DEFAULT);
    Path refs = oracle.reference() == Oracle.Runtime.EVALUATOR
        ? ReferenceSets.dirFor(sourceFile) : null;
    OrtVerifier.Verification outputs = seeded;
    if (refs != null) {
      List<OrtVerifier.OutputComparison> all = new ArrayList<>(seeded.outputs());
      all.addAll(ReferenceSets.verify(refs, source, candidate, evaluator).outputs());
      outputs = OrtVerifier.Verification.of(all);
    }
    OrtVerifier.Verification compared = outputs;
    return Judgement.of(compared,
        () -> oracle.reference() == Oracle.Runtime.ORT
            ? precisionDrift(compared, sourceFile, expected, actual, inputs, ort) : null,
        () -> oracle.crossesRuntimes()
            ? runtimeDrift(oracle, compared, sourceFile, expected, source, actual, inputs, ort,
                evaluator)
            : null,
        () -> NodeByNode.locate(source, candidate, inputs, OrtVerifier.Tolerance.DEFAULT),
        bisect);
  }

  /**
   * The original widened to float64 ({@link Float64Model}) run in ONNX Runtime, the reference, as
   * the exact answer {@link PrecisionDrift} measures both sides against; null when it explains
   * nothing or the original cannot be widened or run so (an op with no float64 kernel, weights
   * in external data or beyond {@link #MAX_WIDENED_BYTES}).
   */
  private static PrecisionDrift precisionDrift(OrtVerifier.Verification compared, Path sourceFile,
      Map<String, Tensor> expected, Map<String, Tensor> actual, Map<String, Tensor> inputs,
      OrtVerifier ort) {
    try {
      byte[] wide = widened(sourceFile);
      if (wide == null) {
        return null;
      }
      Map<String, Tensor> exact = ort.run(wide, Float64Model.inputs(inputs));
      return PrecisionDrift.explain(compared, exact, expected, actual,
          OrtVerifier.Tolerance.DEFAULT);
    } catch (ConvoyException | IOException e) {
      return null;
    }
  }

  /**
   * The original run in the candidate's runtime, compared three ways ({@link RuntimeDrift}); null
   * when that explains nothing or the candidate's runtime cannot run the original (the mismatch
   * then goes to localization like any other).
   */
  private static RuntimeDrift runtimeDrift(Oracle oracle, OrtVerifier.Verification compared,
      Path sourceFile, Map<String, Tensor> expected, Graph source, Map<String, Tensor> actual,
      Map<String, Tensor> inputs, OrtVerifier ort, Evaluator evaluator) {
    Map<String, Tensor> base;
    try {
      base = run(oracle.candidate(), source, inputs, ort, evaluator);
    } catch (ConvoyException e) {
      return null;
    }
    RuntimeDrift half = oracle.reference() == Oracle.Runtime.ORT
        && oracle.candidate() == Oracle.Runtime.EVALUATOR && failsInFloat16(compared, expected)
        ? float16Rounding(oracle, compared, sourceFile, expected, base, actual, inputs, ort,
            evaluator) : null;
    return half != null ? half : RuntimeDrift.explain(oracle, compared, expected, base, actual,
        OrtVerifier.Tolerance.DEFAULT);
  }

  /**
   * Float16 rounding ({@link RuntimeDrift#explainHalf}): both runtimes also run the original
   * widened to float64; null when that explains nothing or the original cannot be widened or run.
   */
  private static RuntimeDrift float16Rounding(Oracle oracle, OrtVerifier.Verification compared,
      Path sourceFile, Map<String, Tensor> expected, Map<String, Tensor> base,
      Map<String, Tensor> actual, Map<String, Tensor> inputs, OrtVerifier ort,
      Evaluator evaluator) {
    try {
      byte[] wide = widened(sourceFile);
      if (wide == null) {
        return null;
      }
      Map<String, Tensor> wideInputs = Float64Model.inputs(inputs);
      Map<String, Tensor> exact = ort.run(wide, wideInputs);
      Map<String, Tensor> baseExact = evaluator.runTensors(
          OnnxImporter.importBytes(wide, sourceFile + " in float64", null), wideInputs);
      return RuntimeDrift.explainHalf(oracle, compared, expected, base, actual, exact, baseExact);
    } catch (ConvoyException | IOException e) {
      return null;
    }
  }

  /**
   * The ONNX model in {@code sourceFile} widened to float64 ({@link Float64Model}), or null when
   * it is larger than {@link #MAX_WIDENED_BYTES} or cannot be widened.
   */
  private static byte[] widened(Path sourceFile) throws IOException {
    return Files.size(sourceFile) > MAX_WIDENED_BYTES ? null
        : Float64Model.of(Files.readAllBytes(sourceFile));
  }

  /** Whether some failing output of {@code compared} is float16 (in {@code expected}). */
  private static boolean failsInFloat16(OrtVerifier.Verification compared,
      Map<String, Tensor> expected) {
    return compared.outputs().stream().anyMatch(o -> !o.pass() && expected.get(o.name()) != null
        && expected.get(o.name()).dtype() == DType.FLOAT16);
  }

  /** Runs {@code g} in {@code runtime}. */
  private static Map<String, Tensor> run(Oracle.Runtime runtime, Graph g,
      Map<String, Tensor> inputs, OrtVerifier ort, Evaluator evaluator) {
    return runtime == Oracle.Runtime.ORT ? runOnOrt(ort, g, inputs) : evaluator.runTensors(g, inputs);
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
