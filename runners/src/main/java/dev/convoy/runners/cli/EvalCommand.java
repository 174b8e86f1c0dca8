package dev.convoy.runners.cli;

import dev.convoy.ir.ConvoyException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Unmatched;

/** {@code convoy eval}: not available in this build yet. */
@Command(name = "eval", mixinStandardHelpOptions = true, description = "Run a model on input_K.pb tensors and write output_K.pb.")
public class EvalCommand implements Callable<Integer> {
  @Unmatched List<String> rest;

  @Override
  public Integer call() {
    throw new ConvoyException("eval: not available yet");
  }
}
