package dev.convoy.runners.cli;

import dev.convoy.ir.ConvoyException;
import dev.convoy.pipeline.query.HtmlReport;
import dev.convoy.pipeline.query.Report;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code convoy report}: one run's models, passes, verifications and failures from the warehouse. */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description = "Show a run (default: the latest) from the warehouse.")
public class ReportCommand implements Callable<Integer> {
  @Parameters(index = "0", arity = "0..1", paramLabel = "RUN_ID", description = "Run id (default: the latest).")
  String runId;

  @Option(names = "--warehouse", defaultValue = "convoy-out/warehouse", paramLabel = "DIR",
      description = "Warehouse folder (default ${DEFAULT-VALUE}).")
  Path warehouse;

  @Option(names = "--html", paramLabel = "FILE",
      description = "Also write the report as one self-contained HTML page with charts.")
  Path html;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    if (!Files.isDirectory(warehouse)) {
      throw new ConvoyException(warehouse + ": no warehouse here (run ./convoy run first)");
    }
    int code = Report.print(warehouse, runId, out);
    if (html != null) {
      HtmlReport.report(warehouse, runId, html);
      out.println("html: " + html);
    }
    out.flush();
    return code;
  }
}
