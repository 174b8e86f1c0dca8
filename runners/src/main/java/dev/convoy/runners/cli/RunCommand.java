package dev.convoy.runners.cli;

import dev.convoy.ir.ConvoyException;
import dev.convoy.pipeline.run.RunConfig;
import dev.convoy.pipeline.run.RunSummary;
import dev.convoy.pipeline.run.ZooRun;
import dev.convoy.pipeline.storage.Storage;
import dev.convoy.runners.runner.Runner;
import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.layout.NhwcIo;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code convoy run}: the main job. Converts, optimizes, verifies and writes every model of a zoo
 * (a folder or a manifest) as a Beam pipeline, with artifacts and warehouse tables under
 * {@code --out}. Exit 1 when some model failed (each failure is a row in the failures table).
 */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = "Convert, optimize, verify and write a whole model zoo (Beam pipeline).")
public class RunCommand implements Callable<Integer> {
  @Parameters(index = "0", arity = "0..1", paramLabel = "ZOO_DIR|MANIFEST",
      description = "Folder of models or a manifest (CSV or YAML), or the URI of a folder on"
          + " any Beam filesystem on the classpath (hdfs://...); default: testdata/zoo.")
  String zoo;

  @Option(names = "--out", defaultValue = "convoy-out", paramLabel = "DIR|URI",
      description = "Output folder, or a URI of any Beam filesystem on the classpath:"
          + " artifacts/ and warehouse/ (default ${DEFAULT-VALUE}).")
  String out;

  @Option(names = "--run-id", paramLabel = "ID",
      description = "Run id (default: a UTC timestamp); re-using one replaces that run's rows.")
  String runId;

  @Option(names = "--level", defaultValue = "O2", paramLabel = "O0|O1|O2|O3",
      description = "Optimization level (default ${DEFAULT-VALUE}).")
  String level;

  @Option(names = "--target", defaultValue = "cvy", paramLabel = "cvy|onnx",
      description = "Artifact format (default ${DEFAULT-VALUE}).")
  String target;

  @Mixin TargetOptions targetOptions = new TargetOptions();

  @Option(names = "--runner", defaultValue = "direct", paramLabel = "direct|flink",
      description = "Beam runner (default ${DEFAULT-VALUE}); flink without --flink-master runs embedded.")
  String runner;

  @Option(names = "--flink-master", paramLabel = "HOST:PORT",
      description = "Submit to this Flink cluster (implies --runner flink).")
  String flinkMaster;

  @Option(names = "--parallelism", defaultValue = "0", paramLabel = "N",
      description = "Workers (default: one per core).")
  int parallelism;

  @Option(names = "--partition-threshold", defaultValue = "" + RunConfig.DEFAULT_PARTITION_THRESHOLD,
      paramLabel = "NODES", description = "Split graphs above this many nodes (default ${DEFAULT-VALUE}).")
  int partitionThreshold;

  @Option(names = "--enable", paramLabel = "RULE",
      description = "Enable a rule or pass by name on top of the level's pipeline (repeatable).")
  List<String> enable = new ArrayList<>();

  @Option(names = "--disable", paramLabel = "RULE",
      description = "Disable a rule or pass by name (repeatable).")
  List<String> disable = new ArrayList<>();

  @Option(names = "--latency-runs", defaultValue = "" + RunConfig.DEFAULT_LATENCY_RUNS,
      paramLabel = "N", description = "Time each model's original and result: median of N runs"
          + " after one warm-up (default ${DEFAULT-VALUE}; 0 skips timing).")
  int latencyRuns;

  @Option(names = "--io-layout", defaultValue = "nchw", paramLabel = "nchw|nhwc",
      description = "nhwc: with --level O3 and --target cvy, the artifacts read and write NHWC at"
          + " their 4-D inputs and outputs (as optimize --io-layout); verification and latency"
          + " feed them transposed inputs.")
  String ioLayout;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    String z = zoo != null ? zoo : defaultZoo().toString();
    if (Storage.isLocal(z) && !Files.exists(Storage.localPath(z).orElseThrow())) {
      throw new ConvoyException(z + ": no such zoo folder or manifest");
    }
    if (parallelism < 0) {
      throw new ConvoyException("--parallelism must be positive, got " + parallelism);
    }
    Runner r = Runner.named(runner, flinkMaster);
    Set<String> enabled = new HashSet<>(enable);
    switch (ioLayout) {
      case "nchw" -> { }
      case "nhwc" -> {
        if (Level.parse(level) != Level.O3 || !target.equals("cvy")) {
          throw new ConvoyException("--io-layout nhwc needs --level O3 and --target cvy (the"
              + " layout pass that makes NHWC runs only there)");
        }
        enabled.add(NhwcIo.NAME);
      }
      default -> throw new ConvoyException(
          "--io-layout must be 'nchw' or 'nhwc', got '" + ioLayout + "'");
    }
    RunConfig cfg = new RunConfig(z, out, runId, Level.parse(level), target, partitionThreshold,
        enabled, new HashSet<>(disable), latencyRuns, targetOptions.target());
    PrintWriter console = spec.commandLine().getOut();
    RunSummary s = ZooRun.run(cfg, r.execution(flinkMaster, parallelism, cfg.runId()), console);
    console.printf("artifacts: %s%nreport:    ./convoy report %s --warehouse %s%n",
        Storage.dir(s.out(), "artifacts"), s.runId(), Storage.dir(s.out(), "warehouse"));
    console.flush();
    return s.exitCode();
  }

  /** {@code testdata/zoo} beside the launcher (the working folder or the repository root). */
  private static Path defaultZoo() {
    Path here = Path.of("testdata/zoo");
    if (Files.isDirectory(here)) {
      return here;
    }
    String home = System.getProperty("convoy.home");
    return home != null ? Path.of(home, "testdata/zoo") : here;
  }
}
