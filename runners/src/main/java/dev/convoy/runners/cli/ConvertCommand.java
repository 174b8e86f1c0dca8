package dev.convoy.runners.cli;

import dev.convoy.ir.ConvoyException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Unmatched;

/** {@code convoy convert}: not available in this build yet. */
@Command(name = "convert", mixinStandardHelpOptions = true, description = "Convert one model without optimizing it (optimize --level O0).")
public class ConvertCommand implements Callable<Integer> {
  @Unmatched List<String> rest;

  @Override
  public Integer call() {
    throw new ConvoyException("convert: not available yet");
  }
}
