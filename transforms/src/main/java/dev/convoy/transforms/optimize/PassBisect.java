package dev.convoy.transforms.optimize;

import dev.convoy.ir.graph.Graph;
import java.util.HashMap;
import java.util.Map;

/**
 * Names the pass (and rule) that made an optimized graph compute something else: optimizes the
 * original again in verify-each-pass mode, where the evaluator checks the outputs after every
 * pass and a rule set that changed them is bisected down to the rewrite.
 */
public final class PassBisect {
  private PassBisect() {}

  /**
   * The verify-each-pass verdict on optimizing {@code original} with {@code options}, inputs of
   * dynamic shape fed at {@code shapes}: which rule or pass first changed the outputs or broke the
   * graph, or a sentence saying that none did.
   */
  public static String culprit(Graph original, OptimizeOptions options, Map<String, long[]> shapes) {
    Map<String, long[]> all = new HashMap<>(shapes);
    all.putAll(options.inputShapes());
    OptimizeOptions checked = new OptimizeOptions(options.level(), options.enabled(),
        options.disabled(), options.pipelineFile(), all, true, options.foldSizeCapBytes());
    try {
      OptimizeResult r = Optimizer.optimize(original, checked);
      return r.notes().stream().filter(n -> n.contains("numeric check off")).findFirst()
          .orElse("no single pass changes the outputs in Convoy's evaluator");
    } catch (OptimizeException e) {
      return e.getMessage();
    }
  }
}
