package dev.convoy.runners.cli;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.text.GraphPrinter;
import dev.convoy.transforms.convert.ModelFormat;
import dev.convoy.transforms.convert.Models;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code convoy inspect}: a model's inputs, outputs, op histogram and sizes, or its text form. */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description = "Summarize a model: inputs, outputs, op histogram, sizes.")
public class InspectCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "MODEL", description = "Model file (.onnx, .tflite,"
      + " .cvy, a Caffe .prototxt or .caffemodel with its partner beside it, a TensorFlow .pb;"
      + " sniffed from content).")
  Path model;

  @Option(names = "--text", description = "Print the canonical text form instead of a summary.")
  boolean text;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    if (!Files.isRegularFile(model)) {
      throw new ConvoyException(model + ": no such file");
    }
    ModelFormat format = ModelFormat.sniff(model);
    // Looking changes nothing, so ops of unknown domains are shown rather than refused.
    Graph g = Models.load(model, true).graph();
    if (text) {
      out.print(GraphPrinter.print(g));
      out.flush();
      return 0;
    }
    out.printf("model:     %s (%s, %,d bytes)%n", model, format.extension(), Files.size(model));
    out.printf("producer:  %s %s, IR version %d%n", g.info().producerName(), g.info().producerVersion(),
        g.info().irVersion());
    out.printf("opsets:    %s%n", g.opsets());
    out.printf("nodes:     %d top-level, %d in all%n", g.nodes().size(), g.totalNodeCount());
    long weightBytes = g.initializers().stream().mapToLong(v -> v.constant().byteSize()).sum();
    out.printf("weights:   %d initializers, %,d bytes%n", g.initializers().size(), weightBytes);
    out.println("inputs:");
    for (Value v : g.inputs()) {
      out.printf("  %s: %s%n", v.name(), v.type());
    }
    out.println("outputs:");
    for (Value v : g.outputs()) {
      out.printf("  %s: %s%n", v.name(), v.type());
    }
    out.println("ops:");
    g.opHistogram().entrySet().stream()
        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed()
            .thenComparing(Map.Entry.comparingByKey(Comparator.naturalOrder())))
        .forEach(e -> out.printf("  %-28s %d%n", e.getKey(), e.getValue()));
    out.flush();
    return 0;
  }
}
