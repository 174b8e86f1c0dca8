package dev.convoy.transforms.optimize.infer;

import dev.convoy.ir.eval.ShapeInference;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.ShapeInferenceException;
import dev.convoy.transforms.optimize.Pass;
import dev.convoy.transforms.optimize.PassContext;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Type and shape inference through the catalog ({@link ShapeInference}), over the graph and its
 * subgraphs. Counts the values whose type became more precise, so a repeat block settles once
 * inference has nothing new to say. Symbolic dims no input carries are forgotten first
 * ({@link FreeSymbols}). A contradiction in the model's declared types is noted, not
 * fatal: the graph still runs as declared.
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
    var inputSymbols = FreeSymbols.ofInputs(graph);
    graph.forEachNode(n -> FreeSymbols.forget(n, inputSymbols));
    try {
      ShapeInference.infer(graph);
    } catch (ShapeInferenceException e) {
      ctx.note("infer-shapes: " + e.getMessage());
    }
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
