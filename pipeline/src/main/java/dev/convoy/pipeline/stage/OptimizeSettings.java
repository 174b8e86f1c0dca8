package dev.convoy.pipeline.stage;

import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import java.io.Serializable;
import java.util.Map;
import java.util.Set;

/**
 * What the optimizing stages run, in a form a DoFn can carry: the level and the rules or passes
 * switched on or off by name. {@link #options} turns it into the optimizer's options.
 */
public record OptimizeSettings(Level level, Set<String> enable, Set<String> disable)
    implements Serializable {
  public OptimizeSettings {
    enable = Set.copyOf(enable);
    disable = Set.copyOf(disable);
  }

  /** The level's pipeline as is. */
  public static OptimizeSettings atLevel(Level level) {
    return new OptimizeSettings(level, Set.of(), Set.of());
  }

  /** The optimizer's options, with {@code shapes} for dynamic inputs. */
  public OptimizeOptions options(Map<String, long[]> shapes, boolean verifyEachPass) {
    return new OptimizeOptions(level, enable, disable, null, shapes, verifyEachPass,
        OptimizeOptions.DEFAULT_FOLD_CAP);
  }
}
