package dev.convoy.runners.cli;

import dev.convoy.pipeline.zoo.SynthZoo;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code convoy zoo synth N --seed S [--scale K] --out DIR}: a synthetic zoo for scale tests. */
@Command(
    name = "zoo",
    mixinStandardHelpOptions = true,
    description = "Model zoo tools.",
    subcommands = {ZooCommand.Synth.class})
public class ZooCommand implements Runnable {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand");
  }

  /** See {@link SynthZoo}. */
  @Command(
      name = "synth",
      mixinStandardHelpOptions = true,
      description = "Generate N varied ONNX models (CNN, MLP, transformer, recurrent; some with"
          + " external data, some broken) from a seed, with a MANIFEST.csv.")
  static class Synth implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "N", description = "How many models.")
    int count;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S",
        description = "Random seed; the same N and seed give the same zoo (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--scale", defaultValue = "1", paramLabel = "K",
        description = "Activations K times larger (image side, sequence length, batch), same"
            + " weights: K- to K²-fold evaluation work per model (default ${DEFAULT-VALUE}).")
    int scale;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      List<SynthZoo.Entry> entries = SynthZoo.generate(count, seed, scale, out);
      Map<String, Integer> kinds = new TreeMap<>();
      entries.forEach(e -> kinds.merge(e.kind().name().toLowerCase(java.util.Locale.ROOT), 1,
          Integer::sum));
      long external = entries.stream().filter(SynthZoo.Entry::externalData).count();
      PrintWriter w = spec.commandLine().getOut();
      w.printf("wrote %d models to %s: %s; %d with external data%n", entries.size(), out, kinds,
          external);
      return 0;
    }
  }
}
