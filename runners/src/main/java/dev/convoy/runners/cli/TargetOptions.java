package dev.convoy.runners.cli;

import dev.convoy.transforms.optimize.Target;
import picocli.CommandLine.Option;

/**
 * The target options {@code optimize}, {@code run} and {@code bench} share: which ops a fusion may
 * produce and the default-domain opset to convert to ({@link Target}). The output format
 * ({@code --target onnx|cvy}) stays with each command, whose default differs.
 */
public class TargetOptions {
  @Option(names = "--onnx-ops", defaultValue = "standard", paramLabel = "standard|ort",
      description = "Ops a fusion may produce: standard ONNX only, or also ONNX Runtime's"
          + " com.microsoft ops (default ${DEFAULT-VALUE}).")
  String onnxOps = "standard";

  @Option(names = "--target-opset", paramLabel = "N",
      description = "Convert the default-domain opset to N before optimizing (default: keep).")
  Integer targetOpset;

  /** The target these options name. */
  public Target target() {
    return new Target(Target.parseOnnxOps(onnxOps), targetOpset == null ? 0 : targetOpset);
  }
}
