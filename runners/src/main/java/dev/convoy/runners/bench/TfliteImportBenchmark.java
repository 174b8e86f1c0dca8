package dev.convoy.runners.bench;

import dev.convoy.transforms.convert.tflite.TfliteImporter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * TFLite import cost against TFLite's own runtime loading the same file, per model, in one run:
 * Convoy's import time, heap allocated and retained (as {@link ImportBenchmark} measures them),
 * beside tfjs-tflite's model load time (TFLite's WebAssembly interpreter: parse, tensor allocation,
 * XNNPACK delegate) from {@code tools/tflite-oracle/load-time.js} in Node. Without Node or its
 * modules the peer columns say so.
 */
public final class TfliteImportBenchmark {
  private TfliteImportBenchmark() {}

  public static BenchTable run(List<Path> models, int warmup, int reps)
      throws IOException, InterruptedException {
    BenchTable table = new BenchTable("TFLite import vs TFLite runtime (tfjs-tflite) model load",
        "model", "file MiB", "nodes", "import ms", "allocated MiB", "retained MiB",
        "tflite load ms", "tflite first load ms", "import / tflite");
    Path script = Path.of(System.getProperty("convoy.home", "."), "tools", "tflite-oracle",
        "load-time.js").toAbsolutePath();
    boolean peer = Files.isDirectory(script.resolveSibling("node_modules"));
    for (Path model : models) {
      for (int i = 0; i < warmup; i++) {
        TfliteImporter.importFile(model);
      }
      double[] importMs = new double[reps];
      double[] allocated = new double[reps];
      for (int i = 0; i < reps; i++) {
        long t0 = System.nanoTime();
        allocated[i] = ImportBenchmark.allocatedMiB(model, TfliteImporter::importFile);
        importMs[i] = (System.nanoTime() - t0) / 1e6;
      }
      double[] load = peer ? peerLoad(script, model, warmup, reps) : null;
      double importMedian = BenchTable.median(importMs);
      table.row(model.getFileName().toString(), Files.size(model) / (double) (1 << 20),
          TfliteImporter.importFile(model).totalNodeCount(), importMedian,
          BenchTable.median(allocated), ImportBenchmark.retainedMiB(model, TfliteImporter::importFile),
          load == null ? "n/a" : load[1], load == null ? "n/a" : load[0],
          load == null ? "n/a" : importMedian / load[1]);
    }
    return table.note("Median of " + reps + " runs after " + warmup + " warm-up runs, one thread"
        + " each. tflite load = tfjs-tflite 0.0.1-alpha.10 loadTFLiteModel in Node (the wasm"
        + " module already instantiated); first load = the first in a fresh process, which also"
        + " instantiates the wasm module. Convoy's import builds the NCHW/QDQ graph and infers"
        + " shapes; weights stay memory-mapped."
        + (peer ? "" : " Peer not measured: run `npm ci` in tools/tflite-oracle."));
  }

  /** {first load ms, median load ms} from the Node script. */
  private static double[] peerLoad(Path script, Path model, int warmup, int reps)
      throws IOException, InterruptedException {
    Process p = new ProcessBuilder("node", script.toString(), model.toAbsolutePath().toString(),
        Integer.toString(warmup), Integer.toString(reps)).redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
      return null;
    }
    String line = out.lines().filter(l -> l.startsWith("{")).findFirst().orElse("");
    java.util.regex.Matcher first = java.util.regex.Pattern.compile("\"firstMs\":([0-9.eE+-]+)")
        .matcher(line);
    java.util.regex.Matcher loads = java.util.regex.Pattern.compile("\"loadMs\":\\[([^\\]]*)\\]")
        .matcher(line);
    if (!first.find() || !loads.find()) {
      return null;
    }
    double[] ms = Arrays.stream(loads.group(1).split(",")).mapToDouble(Double::parseDouble).toArray();
    return new double[] {Double.parseDouble(first.group(1)), BenchTable.median(ms)};
  }
}
