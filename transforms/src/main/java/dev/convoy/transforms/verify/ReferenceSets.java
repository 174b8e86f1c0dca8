package dev.convoy.transforms.verify;

import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.convert.onnx.OnnxTensors;
import dev.convoy.transforms.verify.OrtVerifier.OutputComparison;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reference data recorded by a model's own runtime: {@code NAME.ref/test_data_set_K/} beside
 * {@code NAME.ext}, holding {@code input_J.pb} and {@code output_J.pb} (ONNX TensorProto files,
 * each naming the graph input or output it holds, or, unnamed, J the position among them). A graph is checked by running it in Convoy's
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

  /**
   * Runs {@code graph} (the result of optimizing {@code source}) on every set in {@code refDir}
   * and compares with the recorded outputs. A recorded tensor is matched by the name it holds where
   * it holds one, by position where it holds none: an input file names a graph input; an output
   * file names a graph output, or an intermediate value of {@code source} (Caffe's references hold
   * the blob before the final Softmax), which is not compared, since optimization may fuse it
   * away. An output file naming neither fails that comparison, saying so; an input file naming no
   * graph input is bad input.
   */
  public static OrtVerifier.Verification verify(Path refDir, Graph source, Graph graph,
      Evaluator evaluator) {
    List<String> inputNames = graph.inputs().stream().filter(v -> !v.isInitializer())
        .map(Value::name).toList();
    List<String> outputNames = graph.outputs().stream().map(Value::name).toList();
    Set<String> sourceValues = new HashSet<>();
    for (Node n : source.nodes()) {
      for (Value v : n.outputs()) {
        if (v != null) {
          sourceValues.add(v.name());
        }
      }
    }
    List<OutputComparison> all = new ArrayList<>();
    for (Path set : sets(refDir)) {
      Map<String, Tensor> inputs = new LinkedHashMap<>();
      for (int j = 0; Files.exists(set.resolve("input_" + j + ".pb")); j++) {
        Path file = set.resolve("input_" + j + ".pb");
        String name = OnnxTensors.readPbName(file);
        if (name.isEmpty() ? j >= inputNames.size() : !inputNames.contains(name)) {
          throw new InvalidModelException(file + ": holds " + (name.isEmpty()
              ? "input " + j : "'" + name + "'") + ", which is not an input of the graph (inputs: "
              + String.join(", ", inputNames) + ")");
        }
        inputs.put(name.isEmpty() ? inputNames.get(j) : name, OnnxTensors.readPb(file));
      }
      Map<String, Tensor> actual = evaluator.runTensors(graph, inputs);
      for (int k = 0; Files.exists(set.resolve("output_" + k + ".pb")); k++) {
        Path file = set.resolve("output_" + k + ".pb");
        String name = OnnxTensors.readPbName(file);
        if (name.isEmpty() && k >= outputNames.size()
            || !name.isEmpty() && !outputNames.contains(name) && sourceValues.contains(name)) {
          continue; // no output at that position; an intermediate blob of the original
        }
        String output = name.isEmpty() ? outputNames.get(k) : name;
        String label = set.getFileName() + "/" + output;
        if (!actual.containsKey(output)) {
          all.add(new OutputComparison(label, "", "", Double.NaN, Double.NaN, Double.NaN, false,
              false, file + " holds '" + name + "', which is neither an output of the graph ("
                  + String.join(", ", outputNames) + ") nor one of its values"));
          continue;
        }
        all.add(oneStep(OrtVerifier.compareTensors(label, OnnxTensors.readPb(file),
            actual.get(output), OrtVerifier.Tolerance.DEFAULT)));
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
