package dev.convoy.runners.cli;

import dev.convoy.transforms.optimize.Level;
import picocli.CommandLine.Command;

/** {@code convoy convert}: the same as {@code optimize --level O0}. */
@Command(
    name = "convert",
    mixinStandardHelpOptions = true,
    description = "Convert one model without optimizing it (optimize --level O0).")
public class ConvertCommand extends OptimizeCommand {
  @Override
  Level fixedLevel() {
    return Level.O0;
  }
}
