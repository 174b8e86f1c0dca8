package dev.convoy.runners.cli;

import dev.convoy.ir.ConvoyException;
import dev.convoy.runners.bench.BenchTable;
import dev.convoy.runners.bench.EvalBenchmark;
import dev.convoy.runners.bench.FusionBenchmark;
import dev.convoy.runners.bench.AttentionBenchmark;
import dev.convoy.runners.bench.FusedTargetBenchmark;
import dev.convoy.runners.bench.ImportBenchmark;
import dev.convoy.runners.bench.LayoutBenchmark;
import dev.convoy.runners.bench.MemoryBenchmark;
import dev.convoy.runners.bench.OptimizeBenchmark;
import dev.convoy.runners.bench.OrtFusedOpsBenchmark;
import dev.convoy.runners.bench.TfliteImportBenchmark;
import dev.convoy.runners.bench.ZooThroughputBenchmark;
import dev.convoy.transforms.convert.ModelFormat;
import dev.convoy.transforms.optimize.Level;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code convoy bench}: measures Convoy against ONNX Runtime in the same run and prints Markdown
 * tables (optionally written to a file for {@code docs/benchmarks.md}). Not part of the tests.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Benchmark Convoy against ONNX Runtime on models (default: the dev set).")
public class BenchCommand implements Callable<Integer> {
  /** What can be measured. */
  enum Suite {
    IMPORT,
    EVAL,
    OPTIMIZE,
    /** O2 against O1 and ORT BASIC/EXTENDED: nodes, verification, latency (target flags apply). */
    O2,
    ZOO,
    /** TFLite import against TFLite's runtime loading the model (the .tflite models given). */
    TFLITE_IMPORT,
    /** Memory of evaluating the O3 .cvy in its plan's arena and unplanned (.onnx and .tflite). */
    MEMORY,
    /** The evaluator on the O2 .cvy (convoy fused ops) against O1 and ORT all-optimizations. */
    FUSED,
    /** The evaluator on the O2 .cvy with and without fuse-attention (models where it fires). */
    ATTENTION,
    /** The evaluator on the O3 NHWC .cvy against the O2 NCHW .cvy and ORT all-optimizations. */
    LAYOUT,
    /** ORT on the standard ops O2 fuses into at opset 23 against their chains (no models). */
    ORT_OPS
  }

  @Parameters(arity = "0..*", paramLabel = "MODEL",
      description = "Models or folders of models (default: ../shared/testdata/models/onnx, else"
          + " testdata/zoo; for tflite_import ../shared/testdata/models/tflite).")
  List<Path> models = new ArrayList<>();

  @Option(names = "--peer", defaultValue = "ort", paramLabel = "ort",
      description = "The peer to measure against (only ort, ONNX Runtime).")
  String peer;

  @Option(names = "--suite", split = ",", paramLabel = "SUITE",
      description = "Benchmarks to run: ${COMPLETION-CANDIDATES} (default: all).")
  EnumSet<Suite> suites = EnumSet.allOf(Suite.class);

  @Option(names = "--reps", defaultValue = "5", description = "Timed repetitions (default ${DEFAULT-VALUE}).")
  int reps;

  @Option(names = "--warmup", defaultValue = "2", description = "Warm-up runs (default ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--zoo-level", defaultValue = "O1", paramLabel = "LEVEL",
      description = "Level for the ZOO suite's pipeline runs (default ${DEFAULT-VALUE}).")
  String zooLevel;

  @Option(names = "--target", defaultValue = "onnx", paramLabel = "onnx|cvy",
      description = "Format the O2 suite optimizes for and times (default ${DEFAULT-VALUE}):"
          + " onnx in ONNX Runtime, cvy in Convoy's evaluator.")
  String target;

  @Mixin TargetOptions targetOptions = new TargetOptions();

  @Option(names = "--out", paramLabel = "FILE", description = "Also write the tables (Markdown) here.")
  Path out;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (!peer.equals("ort")) {
      throw new ConvoyException("--peer " + peer + ": only 'ort' (ONNX Runtime) is supported");
    }
    boolean needsModels = suites.stream().anyMatch(s -> s != Suite.ORT_OPS);
    List<Path> files = !needsModels ? List.of() : modelFiles(".onnx",
        Files.isDirectory(Path.of("../shared/testdata/models/onnx"))
            ? Path.of("../shared/testdata/models/onnx") : Path.of("testdata/zoo"));
    PrintWriter console = spec.commandLine().getOut();
    StringBuilder doc = new StringBuilder();
    for (Suite s : suites) {
      BenchTable t = switch (s) {
        case IMPORT -> ImportBenchmark.run(files, warmup, reps);
        case EVAL -> EvalBenchmark.run(files, warmup, reps);
        case OPTIMIZE -> OptimizeBenchmark.run(files, warmup, reps);
        case O2 -> FusionBenchmark.run(files, warmup, reps, targetOptions.target(),
            ModelFormat.parse(target));
        case ZOO -> ZooThroughputBenchmark.run(files, Level.parse(zooLevel), System.out);
        case TFLITE_IMPORT -> TfliteImportBenchmark.run(
            modelFiles(".tflite", Path.of("../shared/testdata/models/tflite")), warmup, reps);
        case MEMORY -> MemoryBenchmark.run(Stream.concat(files.stream(),
            modelFiles(".tflite", Path.of("../shared/testdata/models/tflite")).stream()).toList(),
            warmup, reps);
        case FUSED -> FusedTargetBenchmark.run(files, warmup, reps);
        case ATTENTION -> AttentionBenchmark.run(files, warmup, reps);
        case LAYOUT -> LayoutBenchmark.run(files, warmup, reps);
        case ORT_OPS -> OrtFusedOpsBenchmark.run(warmup, reps);
      };
      console.println(t.markdown());
      console.flush();
      doc.append(t.markdown()).append('\n');
    }
    if (out != null) {
      Files.writeString(out, doc.toString());
    }
    return 0;
  }

  /** The {@code ext} models among those given (folders listed), else in {@code defaultDir}. */
  private List<Path> modelFiles(String ext, Path defaultDir) throws IOException {
    List<Path> roots = new ArrayList<>(models);
    if (roots.isEmpty()) {
      roots.add(defaultDir);
    }
    List<Path> files = new ArrayList<>();
    for (Path r : roots) {
      if (Files.isDirectory(r)) {
        try (Stream<Path> s = Files.list(r)) {
          s.filter(p -> p.toString().endsWith(ext)).sorted().forEach(files::add);
        }
      } else if (Files.isRegularFile(r)) {
        // A file goes to the suites of its own kind: TFLite to tflite_import, others elsewhere.
        if ((ModelFormat.sniff(r) == ModelFormat.TFLITE) == ext.equals(".tflite")) {
          files.add(r);
        }
      } else {
        throw new ConvoyException(r + ": no such model or folder");
      }
    }
    return files;
  }
}
