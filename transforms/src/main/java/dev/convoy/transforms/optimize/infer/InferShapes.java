package dev.convoy.transforms.optimize.infer;

import dev.convoy.ir.eval.ShapeInference;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.transforms.optimize.Pass;
import dev.convoy.transforms.optimize.PassContext;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Type and shape inference through the catalog ({@link ShapeInference}), over the graph and its
 * subgraphs. Counts the values whose type became more precise, so a repeat block settles once
 * inference has nothing new to say. Declared intermediate and output shapes are hints that
 * inference replaces (see {@link ShapeInference}). A node that fails to infer is noted, not
 * fatal; a subgraph in which one fails is marked for the rest of the run
 * ({@link PassContext#markUninferred}), so that no rule rewrites it from shapes it cannot have.
 */
public final class InferShapes implements Pass {
  public static final String NAME = "infer-shapes";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int run(Graph graph, PassContext ctx) {
    Map<Value, ValueType> before = new IdentityHashMap<>();
    graph.forEachNode(n -> n.outputs().forEach(v -> {
      if (v != null) {
        before.put(v, v.type());
      }
    }));
    ShapeInference inference = new ShapeInference(OpCatalog.standard());
    inference.run(graph);
    inference.failures().forEach(f -> ctx.note("infer-shapes: " + f));
    inference.uninferred().forEach(ctx::markUninferred);
    int changed = 0;
    for (var e : before.entrySet()) {
      if (!Objects.equals(e.getKey().type(), e.getValue())) {
        changed++;
      }
    }
    ctx.count(NAME, changed);
    return changed;
  }
}
