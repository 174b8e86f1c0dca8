package dev.convoy.ir.ops;

import dev.convoy.ir.graph.Graph;
import java.util.List;

/**
 * Runs a subgraph (an If branch, a Loop or Scan body) for a control-flow kernel. The evaluator
 * implements it: values the body captures from enclosing graphs resolve to their current values
 * in the calling frame.
 */
@FunctionalInterface
public interface SubgraphRunner {
  /** Binds {@code inputs} to the body's inputs in order, runs it and returns its outputs. */
  List<RuntimeValue> run(Graph body, List<RuntimeValue> inputs);
}
