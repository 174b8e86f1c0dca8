package dev.convoy.runners.cli;

import dev.convoy.ir.ConvoyException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Unmatched;

/** {@code convoy inspect}: not available in this build yet. */
@Command(name = "inspect", mixinStandardHelpOptions = true, description = "Summarize a model: inputs, outputs, op histogram, sizes.")
public class InspectCommand implements Callable<Integer> {
  @Unmatched List<String> rest;

  @Override
  public Integer call() {
    throw new ConvoyException("inspect: not available yet");
  }
}
