package dev.convoy.runners.cli;

import dev.convoy.ir.ConvoyException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Unmatched;

/** {@code convoy conformance}: not available in this build yet. */
@Command(name = "conformance", mixinStandardHelpOptions = true, description = "Run the ONNX node tests in a folder against the evaluator.")
public class ConformanceCommand implements Callable<Integer> {
  @Unmatched List<String> rest;

  @Override
  public Integer call() {
    throw new ConvoyException("conformance: not available yet");
  }
}
