package dev.convoy.transforms.optimize;

import dev.convoy.ir.graph.Graph;

/**
 * A whole-graph transformation (shape inference, dead-code elimination, CSE). A pass must visit
 * the subgraphs of control-flow nodes too. It has a stable kebab-case name like a rule.
 */
public interface Pass {
  String name();

  /**
   * Runs on {@code graph} (a top-level graph) and returns the number of changes it made, counted
   * per rule or per pass name into {@code ctx}; 0 means the graph is unchanged.
   */
  int run(Graph graph, PassContext ctx);
}
