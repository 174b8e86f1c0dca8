package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Pass;
import dev.convoy.transforms.optimize.PassContext;
import dev.convoy.transforms.optimize.Rewriter;

/**
 * Drops initializers nothing reads, in the graph and in every subgraph. Reads from subgraphs
 * (captures) count as reads, so an outer weight used only inside a loop body stays.
 */
public final class EliminateUnusedInitializers implements Pass {
  public static final String NAME = "eliminate-unused-initializers";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int run(Graph graph, PassContext ctx) {
    int removed = sweep(graph, new Rewriter(ctx));
    ctx.count(NAME, removed);
    return removed;
  }

  private static int sweep(Graph g, Rewriter rw) {
    int removed = 0;
    for (Node n : g.nodes()) {
      for (Graph sub : n.subgraphs()) {
        removed += sweep(sub, rw);
      }
    }
    for (Value init : g.initializers()) {
      if (!init.hasUses()) {
        rw.removeInitializer(init);
        removed++;
      }
    }
    return removed;
  }
}
