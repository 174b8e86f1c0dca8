package dev.convoy.transforms.optimize;

import java.util.List;

/**
 * The entry point of optimization: runs the pass pipeline of a level (or of a pipeline file) on a
 * graph. The input graph is not modified; the result holds a new graph.
 */
public final class Optimizer {
  private Optimizer() {}

  public static OptimizeResult optimize(dev.convoy.ir.graph.Graph graph, OptimizeOptions options) {
    // O0 converts only. Higher levels arrive with the optimizer issue.
    return new OptimizeResult(graph.copy(), List.of(), List.of());
  }
}
