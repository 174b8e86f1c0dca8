package dev.convoy.runners.cli;

import dev.convoy.ir.ConvoyException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Unmatched;

/** {@code convoy compare}: not available in this build yet. */
@Command(name = "compare", mixinStandardHelpOptions = true, description = "Compare two runs from the warehouse.")
public class CompareCommand implements Callable<Integer> {
  @Unmatched List<String> rest;

  @Override
  public Integer call() {
    throw new ConvoyException("compare: not available yet");
  }
}
