package dev.convoy.pipeline.element;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Value;
import java.util.Map;
import java.util.TreeMap;

/** Size facts of one graph: nodes (including subgraphs), op histogram, initializer bytes. */
public record GraphStats(int nodes, Map<String, Integer> ops, long initializerBytes) {
  public GraphStats {
    ops = new TreeMap<>(ops);
  }

  public static GraphStats of(Graph g) {
    long bytes = 0;
    for (Value v : g.initializers()) {
      bytes += v.constant().byteSize();
    }
    return new GraphStats(g.totalNodeCount(), g.opHistogram(), bytes);
  }

  /** Number of distinct op types. */
  public int opTypes() {
    return ops.size();
  }
}
