package dev.convoy.runners.cli;

import dev.convoy.ir.ConvoyException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Unmatched;

/** {@code convoy optimize}: not available in this build yet. */
@Command(name = "optimize", mixinStandardHelpOptions = true, description = "Convert and optimize one model; write it as ONNX or .cvy.")
public class OptimizeCommand implements Callable<Integer> {
  @Unmatched List<String> rest;

  @Override
  public Integer call() {
    throw new ConvoyException("optimize: not available yet");
  }
}
