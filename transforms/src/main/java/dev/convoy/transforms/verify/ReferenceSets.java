package dev.convoy.transforms.verify;

import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.convert.onnx.OnnxTensors;
import dev.convoy.transforms.verify.OrtVerifier.OutputComparison;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Reference data recorded by a model's own runtime: {@code NAME.ref/test_data_set_K/} beside
 * {@code NAME.ext}, holding {@code input_J.pb} and {@code output_J.pb} (ONNX TensorProto files, J
 * the position among the graph's inputs and outputs). A graph is checked by running it in Convoy's
 * evaluator on each set's inputs: float outputs at {@link OrtVerifier.Tolerance#DEFAULT}, integer
 * outputs (raw quantized values) within one step.
 */
public final class ReferenceSets {
  private ReferenceSets() {}

  /** The {@code NAME.ref} folder beside {@code model}, or {@code null} when there is none. */
  public static Path dirFor(Path model) {
    String name = model.getFileName().toString();
    int dot = name.lastIndexOf('.');
    Path dir = model.resolveSibling((dot > 0 ? name.substring(0, dot) : name) + ".ref");
    return Files.isDirectory(dir) ? dir : null;
  }

  /** Runs {@code graph} on every set in {@code refDir} and compares with the recorded outputs. */
  public static OrtVerifier.Verification verify(Path refDir, Graph graph, Evaluator evaluator) {
    List<OutputComparison> all = new ArrayList<>();
    for (Path set : sets(refDir)) {
      Map<String, Tensor> inputs = new LinkedHashMap<>();
      int j = 0;
      for (Value in : graph.inputs()) {
        if (!in.isInitializer()) {
          inputs.put(in.name(), OnnxTensors.readPb(set.resolve("input_" + j++ + ".pb")));
        }
      }
      List<Tensor> actual = new ArrayList<>(evaluator.runTensors(graph, inputs).values());
      for (int k = 0; k < actual.size(); k++) {
        Path expected = set.resolve("output_" + k + ".pb");
        if (Files.exists(expected)) {
          all.add(oneStep(OrtVerifier.compareTensors(
              set.getFileName() + "/" + graph.outputs().get(k).name(),
              OnnxTensors.readPb(expected), actual.get(k), OrtVerifier.Tolerance.DEFAULT)));
        }
      }
    }
    return OrtVerifier.Verification.of(all);
  }

  /** An integer output one quantization step off still passes: the reference holds raw values. */
  private static OutputComparison oneStep(OutputComparison c) {
    boolean integer = c.dtype().startsWith("int") || c.dtype().startsWith("uint");
    if (c.pass() || !integer || c.problem() != null || !(c.maxAbsError() <= 1)) {
      return c;
    }
    return new OutputComparison(c.name(), c.dtype(), c.shape(), c.maxAbsError(), c.maxRelError(),
        c.cosine(), false, true, null);
  }

  private static List<Path> sets(Path refDir) {
    try (Stream<Path> s = Files.list(refDir)) {
      return s.filter(p -> Files.isDirectory(p) && p.getFileName().toString()
          .startsWith("test_data_set_")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
