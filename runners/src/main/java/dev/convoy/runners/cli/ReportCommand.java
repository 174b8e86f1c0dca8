package dev.convoy.runners.cli;

import dev.convoy.pipeline.query.HtmlReport;
import dev.convoy.pipeline.query.LocalWarehouse;
import dev.convoy.pipeline.query.Report;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
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

  @Option(names = "--warehouse", defaultValue = "convoy-out/warehouse", paramLabel = "DIR|URI",
      description = "Warehouse folder, or its URI on another filesystem (hdfs://...; the runs"
          + " read are copied to a local cache first) (default ${DEFAULT-VALUE}).")
  String warehouseLocation;

  @Option(names = "--html", paramLabel = "FILE",
      description = "Also write the report as one self-contained HTML page with charts.")
  Path html;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    Path warehouse =
        LocalWarehouse.of(warehouseLocation, runId == null ? List.of() : List.of(runId));
    int code = Report.print(warehouse, runId, out);
    if (html != null) {
      HtmlReport.report(warehouse, runId, html);
      out.println("html: " + html);
    }
    out.flush();
    return code;
  }
}
