package dev.convoy.pipeline.stage;

import dev.convoy.transforms.optimize.Level;
import dev.convoy.transforms.optimize.OptimizeOptions;
import dev.convoy.transforms.optimize.Target;
import java.io.Serializable;
import java.util.Map;
import java.util.Set;

/**
 * What the optimizing stages run, in a form a DoFn can carry: the level, the rules or passes
 * switched on or off by name, and the {@link Target} (ONNX Runtime's ops allowed or not, Convoy's
 * own ops allowed when the artifacts are {@code .cvy}, the default-domain opset to convert to, 0
 * to keep). {@link #options} turns it into the optimizer's options.
 */
public record OptimizeSettings(Level level, Set<String> enable, Set<String> disable, Target target)
    implements Serializable {
  public OptimizeSettings {
    enable = Set.copyOf(enable);
    disable = Set.copyOf(disable);
  }

  /** The level's pipeline as is, for the standard target at the model's opset. */
  public static OptimizeSettings atLevel(Level level) {
    return new OptimizeSettings(level, Set.of(), Set.of(), Target.STANDARD);
  }

  /** These settings with rule or pass {@code name} switched on, or left to the level. */
  public OptimizeSettings withEnable(String name, boolean on) {
    Set<String> names = new java.util.HashSet<>(enable);
    if (on) {
      names.add(name);
    } else {
      names.remove(name);
    }
    return new OptimizeSettings(level, names, disable, target);
  }

  /** These settings with rule or pass {@code name} switched off. */
  public OptimizeSettings without(String name) {
    Set<String> names = new java.util.HashSet<>(disable);
    names.add(name);
    return new OptimizeSettings(level, enable, names, target);
  }

  /** The optimizer's options, with {@code shapes} for dynamic inputs. */
  public OptimizeOptions options(Map<String, long[]> shapes, boolean verifyEachPass) {
    return new OptimizeOptions(level, enable, disable, null, shapes, verifyEachPass,
        OptimizeOptions.DEFAULT_FOLD_CAP, target);
  }
}
