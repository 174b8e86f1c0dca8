package dev.convoy.runners.cli;

import dev.convoy.ir.ConvoyException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Unmatched;

/** {@code convoy bench}: not available in this build yet. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmark Convoy against ONNX Runtime.")
public class BenchCommand implements Callable<Integer> {
  @Unmatched List<String> rest;

  @Override
  public Integer call() {
    throw new ConvoyException("bench: not available yet");
  }
}
