package dev.convoy.runners.cli;

import dev.convoy.ir.ConvoyException;
import dev.convoy.transforms.conformance.ConformanceRunner;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code convoy conformance}: runs ONNX backend node tests against the evaluator and ends with
 * {@code N passed, N failed, N skipped}. Exit 1 when any test fails, unless the user lowers the bar
 * with {@code --min-pass}: then exit 1 only when fewer than that fraction of the tests pass.
 */
@Command(
    name = "conformance",
    mixinStandardHelpOptions = true,
    description = "Run the ONNX node tests in DIR against Convoy's evaluator.")
public class ConformanceCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "DIR", description = "Folder of node tests (test_*/model.onnx).")
  Path dir;

  @Option(names = "--filter", paramLabel = "GLOB", description = "Only tests whose folder name matches.")
  String filter;

  @Option(names = "--report", paramLabel = "FILE", description = "Write per-test results (TSV).")
  Path report;

  @Option(names = "--min-pass", paramLabel = "FRACTION",
      description = "Exit 1 only when fewer than this fraction of the tests pass"
          + " (default: exit 1 when any test fails).")
  Double minPass;

  @Option(names = "--failures", description = "List every failed test with its message.")
  boolean listFailures;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    if (!Files.isDirectory(dir)) {
      throw new ConvoyException(dir + ": no such folder");
    }
    ConformanceRunner.Report rep = ConformanceRunner.run(dir, filter);
    if (listFailures) {
      for (ConformanceRunner.TestResult r : rep.results()) {
        if (r.status() != ConformanceRunner.Status.PASSED) {
          out.printf("%-8s %-50s %s%n", r.status(), r.name(), r.message());
        }
      }
    }
    if (report != null) {
      rep.writeTsv(report);
    }
    ConformanceRunner.Summary s = rep.summary();
    out.println(s.line());
    boolean belowBar = minPass == null ? s.failed() > 0
        : s.total() > 0 && s.passed() < minPass * s.total();
    return belowBar ? 1 : 0;
  }
}
