package dev.convoy.runners.cli;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.eval.Evaluator;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.ops.NdArray;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.ir.ops.runtime.Parallel;
import dev.convoy.ir.ops.RuntimeValue;
import dev.convoy.transforms.conformance.ValueFiles;
import dev.convoy.transforms.convert.Models;
import dev.convoy.transforms.convert.onnx.OnnxTensors;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code convoy eval}: runs a model with Convoy's evaluator. Reads {@code input_K.pb} for the K-th
 * real graph input (inputs that are initializers are not fed) and writes {@code output_K.pb} for
 * the K-th graph output, as the ONNX node tests lay them out.
 */
@Command(
    name = "eval",
    mixinStandardHelpOptions = true,
    description = "Run a model on input_K.pb tensors with Convoy's evaluator; write output_K.pb.")
public class EvalCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "MODEL", description = "Model file (.onnx, .tflite,"
      + " .cvy, a Caffe .prototxt or .caffemodel with its partner beside it, a TensorFlow .pb;"
      + " sniffed from content).")
  Path model;

  @Option(names = "--inputs", required = true, paramLabel = "DIR",
      description = "Folder with input_0.pb, input_1.pb, ...")
  Path inputs;

  @Option(names = "--outputs", required = true, paramLabel = "DIR",
      description = "Folder to write output_0.pb, output_1.pb, ... into.")
  Path outputs;

  @Option(names = "--output", paramLabel = "VALUE",
      description = "Also write this value (an intermediate tensor: a Caffe blob, a TensorFlow"
          + " node, an ONNX value) as an extra output after the graph's own; repeatable.")
  List<String> extraOutputs = new ArrayList<>();

  @Option(names = "--threads", paramLabel = "N",
      description = "Kernel threads (default: one per processor).")
  Integer threads;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    if (!Files.isRegularFile(model)) {
      throw new ConvoyException(model + ": no such file");
    }
    if (!Files.isDirectory(inputs)) {
      throw new ConvoyException(inputs + ": no such folder of inputs");
    }
    if (threads != null && threads < 1) {
      throw new ConvoyException("--threads must be at least 1, got " + threads);
    }
    Graph graph = Models.load(model);
    for (String name : extraOutputs) {
      Value v = graph.localValue(name);
      if (v == null) {
        throw new ConvoyException(model + ": no value named '" + name + "' to output");
      }
      if (!graph.outputs().contains(v)) {
        graph.addOutput(v);
      }
    }
    Map<String, RuntimeValue> feeds = new LinkedHashMap<>();
    int k = 0;
    for (Value in : graph.inputs()) {
      Path file = inputs.resolve("input_" + k++ + ".pb");
      if (!Files.isRegularFile(file)) {
        throw new ConvoyException(file + ": missing (input '" + in.name() + "' of " + model + ")");
      }
      feeds.put(in.name(), ValueFiles.read(file, in.type()));
    }
    Evaluator evaluator = new Evaluator(OpCatalog.standard(),
        threads == null ? Parallel.available() : Parallel.of(threads))
        .onWarning(spec.commandLine().getErr()::println);
    long t0 = System.nanoTime();
    Map<String, RuntimeValue> results = evaluator.run(graph, feeds);
    long t1 = System.nanoTime();
    Files.createDirectories(outputs);
    int i = 0;
    for (Map.Entry<String, RuntimeValue> e : results.entrySet()) {
      if (!(e.getValue() instanceof NdArray a)) {
        throw new ConvoyException(model + ": output '" + e.getKey() + "' is "
            + e.getValue().describe() + "; only tensor outputs can be written as .pb");
      }
      Path file = outputs.resolve("output_" + i++ + ".pb");
      OnnxTensors.writePb(a.toTensor(), e.getKey(), file);
      out.printf("%s: %s -> %s%n", e.getKey(), a.describe(), file);
    }
    out.printf("evaluated %s in %.1f ms%n", model, (t1 - t0) / 1e6);
    return 0;
  }
}
