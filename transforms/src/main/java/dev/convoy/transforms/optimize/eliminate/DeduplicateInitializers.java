package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Pass;
import dev.convoy.transforms.optimize.PassContext;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.HashMap;
import java.util.Map;

/**
 * Initializers with identical contents (dtype, dims, bytes) become one: readers of a later copy
 * read the first, and the copy goes. Within one graph; graph outputs are left alone.
 */
public final class DeduplicateInitializers implements Pass {
  public static final String NAME = "deduplicate-initializers";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int run(Graph graph, PassContext ctx) {
    int merged = sweep(graph, new Rewriter(ctx));
    ctx.count(NAME, merged);
    return merged;
  }

  private static int sweep(Graph g, Rewriter rw) {
    int merged = 0;
    for (Node n : g.nodes()) {
      for (Graph sub : n.subgraphs()) {
        merged += sweep(sub, rw);
      }
    }
    Map<Tensor, Value> first = new HashMap<>();
    for (Value init : g.initializers()) {
      if (init.isGraphOutput()) {
        continue;
      }
      Value kept = first.putIfAbsent(init.constant(), init);
      if (kept != null) {
        rw.replace(init, kept);
        g.removeInitializer(init);
        merged++;
      }
    }
    return merged;
  }
}
