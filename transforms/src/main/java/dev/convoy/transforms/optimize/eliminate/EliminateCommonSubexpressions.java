package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Pass;
import dev.convoy.transforms.optimize.PassContext;
import dev.convoy.transforms.optimize.Rewriter;
import dev.convoy.transforms.optimize.fold.Determinism;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Common subexpression elimination: a node with the same op, attributes and inputs (the same
 * values, in order) as an earlier node of its graph computes the same outputs, so its readers
 * read the earlier node's. Identical constants are merged first by {@link
 * DeduplicateInitializers}, which makes their readers' inputs the same values. Left alone: ops of
 * other domains, nondeterministic ops, nodes owning subgraphs.
 */
public final class EliminateCommonSubexpressions implements Pass {
  public static final String NAME = "cse";

  private record Key(String op, Map<String, Attribute> attrs, List<Value> inputs, int outputs) {}

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
    Map<Key, Node> seen = new HashMap<>();
    for (Node n : new ArrayList<>(g.nodes())) {
      if (!n.subgraphs().isEmpty()) {
        for (Graph sub : n.subgraphs()) {
          merged += sweep(sub, rw);
        }
        continue;
      }
      if (!n.domain().isEmpty() || !Determinism.isDeterministic(n)) {
        continue;
      }
      Key key = new Key(n.opType(), n.attributes(), new ArrayList<>(n.inputs()), n.outputCount());
      Node earlier = seen.putIfAbsent(key, n);
      if (earlier != null && rw.canReplaceNode(n, earlier.outputs())) {
        rw.replaceNode(n, earlier.outputs());
        merged++;
      }
    }
    return merged;
  }
}
