package dev.convoy.transforms.optimize.infer;

import dev.convoy.ir.eval.ShapeInference;
import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.transforms.optimize.Pass;
import dev.convoy.transforms.optimize.PassContext;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
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
    List<String> stale = new ArrayList<>();
    for (var e : before.entrySet()) {
      if (!Objects.equals(e.getKey().type(), e.getValue())) {
        changed++;
        if (contradicts(e.getValue(), e.getKey().type())) {
          stale.add("'" + e.getKey().name() + "' declared " + e.getValue() + ", inferred "
              + e.getKey().type());
        }
      }
    }
    if (!stale.isEmpty()) {
      ctx.note("infer-shapes: " + stale.size() + " declared shape(s) contradict inference and were"
          + " ignored, e.g. " + String.join("; ", stale.subList(0, Math.min(3, stale.size()))));
    }
    ctx.count(NAME, changed);
    return changed;
  }

  /** Whether a declared tensor shape claims a size or rank that the inferred one does not have. */
  private static boolean contradicts(ValueType declared, ValueType inferred) {
    if (!(declared instanceof ValueType.TensorType d) || !(inferred instanceof ValueType.TensorType i)
        || !d.shape().hasRank() || !i.shape().hasRank()) {
      return false;
    }
    if (d.shape().rank() != i.shape().rank()) {
      return true;
    }
    for (int k = 0; k < d.shape().rank(); k++) {
      Dim a = d.shape().dim(k);
      Dim b = i.shape().dim(k);
      if (a.isStatic() && (b instanceof Dim.Symbolic || (b.isStatic() && b.size() != a.size()))) {
        return true;
      }
    }
    return false;
  }
}
