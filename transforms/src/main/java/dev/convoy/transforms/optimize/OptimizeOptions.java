package dev.convoy.transforms.optimize;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * What to run: the level, rules and passes switched on or off by name, an optional pipeline file
 * replacing the level's default, concrete input shapes for symbolic dims, and checking options.
 */
public record OptimizeOptions(
    Level level,
    Set<String> enabled,
    Set<String> disabled,
    Path pipelineFile,
    Map<String, long[]> inputShapes,
    boolean verifyEachPass,
    long foldSizeCapBytes) {

  public static final long DEFAULT_FOLD_CAP = 64L << 20;

  public OptimizeOptions {
    enabled = Set.copyOf(enabled);
    disabled = Set.copyOf(disabled);
    inputShapes = Map.copyOf(inputShapes);
  }

  public static OptimizeOptions atLevel(Level level) {
    return new OptimizeOptions(level, Set.of(), Set.of(), null, Map.of(), false, DEFAULT_FOLD_CAP);
  }
}
