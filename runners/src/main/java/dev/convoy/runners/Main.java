package dev.convoy.runners;

import dev.convoy.ir.ConvoyException;
import dev.convoy.runners.cli.BenchCommand;
import dev.convoy.runners.cli.ClusterCommand;
import dev.convoy.runners.cli.CompareCommand;
import dev.convoy.runners.cli.ConformanceCommand;
import dev.convoy.runners.cli.ConvertCommand;
import dev.convoy.runners.cli.EvalCommand;
import dev.convoy.runners.cli.InspectCommand;
import dev.convoy.runners.cli.OptimizeCommand;
import dev.convoy.runners.cli.ReportCommand;
import dev.convoy.runners.cli.RunCommand;
import dev.convoy.runners.cli.ZooCommand;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code convoy} command line. Exit codes: 0 success; 1 a check failed (verification
 * mismatch, regression, conformance below threshold); 2 bad input or usage, with one line naming
 * the file and what is wrong; 3 an internal error (a bug: please report it with {@code --debug}).
 */
@Command(
    name = "convoy",
    mixinStandardHelpOptions = true,
    version = "convoy 0.1.0",
    description = "Offline model converter and graph optimizer, run over whole model zoos.",
    subcommands = {
      OptimizeCommand.class,
      ConvertCommand.class,
      InspectCommand.class,
      EvalCommand.class,
      ConformanceCommand.class,
      RunCommand.class,
      ReportCommand.class,
      CompareCommand.class,
      BenchCommand.class,
      ClusterCommand.class,
      ZooCommand.class
    })
public final class Main implements Runnable {
  public static final int OK = 0;
  public static final int CHECK_FAILED = 1;
  public static final int BAD_INPUT = 2;
  public static final int INTERNAL_ERROR = 3;

  @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT,
      description = "Print stack traces of errors.")
  boolean debug;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand");
  }

  public static void main(String[] args) {
    System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line with the given streams and returns the exit code (for tests). */
  public static int execute(String[] args, PrintWriter out, PrintWriter err) {
    Main main = new Main();
    CommandLine cl = new CommandLine(main);
    cl.setOut(out);
    cl.setErr(err);
    cl.setExitCodeExceptionMapper(e -> e instanceof ConvoyException ? BAD_INPUT : INTERNAL_ERROR);
    cl.setParameterExceptionHandler(
        (ex, a) -> {
          err.println("convoy: " + ex.getMessage());
          ex.getCommandLine().usage(err);
          return BAD_INPUT;
        });
    cl.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          boolean debug = parseResult.hasMatchedOption("--debug") || hasDebug(parseResult);
          if (ex instanceof ConvoyException) {
            err.println("convoy: " + ex.getMessage());
            if (debug) {
              ex.printStackTrace(err);
            }
            return BAD_INPUT;
          }
          err.println("convoy: internal error: " + ex + (debug ? "" : " (run with --debug for the stack trace)"));
          if (debug) {
            ex.printStackTrace(err);
          }
          return INTERNAL_ERROR;
        });
    return cl.execute(args);
  }

  private static boolean hasDebug(CommandLine.ParseResult r) {
    for (CommandLine.ParseResult p = r; p != null; p = p.subcommand()) {
      if (p.hasMatchedOption("--debug")) {
        return true;
      }
    }
    return false;
  }
}
