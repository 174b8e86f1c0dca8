package dev.convoy.transforms.optimize;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * What to run: the level, rules and passes switched on or off by name, an optional pipeline file
 * replacing the level's default, concrete input shapes for symbolic dims, checking options, and
 * the {@link Target} that says which ops the result may hold and at which opset.
 */
public record OptimizeOptions(
    Level level,
    Set<String> enabled,
    Set<String> disabled,
    Path pipelineFile,
    Map<String, long[]> inputShapes,
    boolean verifyEachPass,
    long foldSizeCapBytes,
    Target target) {

  public static final long DEFAULT_FOLD_CAP = 64L << 20;

  public OptimizeOptions {
    enabled = Set.copyOf(enabled);
    disabled = Set.copyOf(disabled);
    inputShapes = Map.copyOf(inputShapes);
    target = target == null ? Target.STANDARD : target;
  }

  /** Options for the standard ONNX target at the model's opset. */
  public OptimizeOptions(
      Level level, Set<String> enabled, Set<String> disabled, Path pipelineFile,
      Map<String, long[]> inputShapes, boolean verifyEachPass, long foldSizeCapBytes) {
    this(level, enabled, disabled, pipelineFile, inputShapes, verifyEachPass, foldSizeCapBytes,
        Target.STANDARD);
  }

  /** The same options for another target. */
  public OptimizeOptions withTarget(Target t) {
    return new OptimizeOptions(
        level, enabled, disabled, pipelineFile, inputShapes, verifyEachPass, foldSizeCapBytes, t);
  }

  public static OptimizeOptions atLevel(Level level) {
    return new OptimizeOptions(
        level, Set.of(), Set.of(), null, Map.of(), false, DEFAULT_FOLD_CAP, Target.STANDARD);
  }
}
