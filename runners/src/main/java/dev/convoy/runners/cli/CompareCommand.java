package dev.convoy.runners.cli;

import dev.convoy.ir.ConvoyException;
import dev.convoy.pipeline.query.Compare;
import dev.convoy.pipeline.query.HtmlReport;
import dev.convoy.pipeline.query.Thresholds;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code convoy compare}: per-model deltas between two runs; with {@code --fail-on-regression},
 * exit 1 when a model regressed beyond the thresholds in {@code configs/regression.properties}.
 */
@Command(
    name = "compare",
    mixinStandardHelpOptions = true,
    description = "Compare two runs: nodes, size, verification error, time per model.")
public class CompareCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "RUN_A", description = "The baseline run.")
  String runA;

  @Parameters(index = "1", paramLabel = "RUN_B", description = "The run to check against it.")
  String runB;

  @Option(names = "--warehouse", defaultValue = "convoy-out/warehouse", paramLabel = "DIR",
      description = "Warehouse folder (default ${DEFAULT-VALUE}).")
  Path warehouse;

  @Option(names = "--fail-on-regression", description = "Exit 1 when a model regressed beyond thresholds.")
  boolean failOnRegression;

  @Option(names = "--thresholds", paramLabel = "FILE",
      description = "Regression thresholds (default: configs/regression.properties when present, else built-in).")
  Path thresholds;

  @Option(names = "--html", paramLabel = "FILE",
      description = "Also write the comparison as one self-contained HTML page with charts.")
  Path html;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    if (!Files.isDirectory(warehouse)) {
      throw new ConvoyException(warehouse + ": no warehouse here (run ./convoy run first)");
    }
    Path th = thresholds;
    if (th == null && Files.isRegularFile(Path.of("configs/regression.properties"))) {
      th = Path.of("configs/regression.properties");
    }
    if (th != null && !Files.isRegularFile(th)) {
      throw new ConvoyException(th + ": no such thresholds file");
    }
    int code = Compare.print(warehouse, runA, runB, failOnRegression, th, out);
    if (html != null) {
      HtmlReport.compare(warehouse, runA, runB, Thresholds.load(th), html);
      out.println("html: " + html);
    }
    out.flush();
    return code;
  }
}
