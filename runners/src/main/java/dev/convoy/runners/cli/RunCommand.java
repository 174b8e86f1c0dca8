package dev.convoy.runners.cli;

import dev.convoy.ir.ConvoyException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Unmatched;

/** {@code convoy run}: not available in this build yet. */
@Command(name = "run", mixinStandardHelpOptions = true, description = "Convert, optimize, verify and write a whole model zoo (Beam pipeline).")
public class RunCommand implements Callable<Integer> {
  @Unmatched List<String> rest;

  @Override
  public Integer call() {
    throw new ConvoyException("run: not available yet");
  }
}
