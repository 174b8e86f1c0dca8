package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Pass;
import dev.convoy.transforms.optimize.PassContext;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
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
    // Grouped by type and dims first, then compared byte for byte: hashing every weight's bytes
    // would cost more than comparing the few tensors that share a shape.
    Map<String, List<Value>> byShape = new HashMap<>();
    for (Value init : g.initializers()) {
      if (init.isGraphOutput()) {
        continue;
      }
      Tensor t = init.constant();
      List<Value> kept = byShape.computeIfAbsent(
          t.dtype() + Arrays.toString(t.dims()), k -> new ArrayList<>());
      Value same = kept.stream().filter(k -> k.constant().equals(t)).findFirst().orElse(null);
      if (same == null) {
        kept.add(init);
      } else {
        rw.replace(init, same);
        rw.removeInitializer(init);
        merged++;
      }
    }
    return merged;
  }
}
