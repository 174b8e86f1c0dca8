package dev.convoy.transforms.optimize.infer;

import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Symbolic dims that no graph input carries are names for sizes nobody had computed yet: an
 * exporter's {@code Squeeze665_dim_0}, or one shape inference made up on an earlier, less informed
 * run. Declared facts win when inference merges, so such a name would keep a now computable size
 * out; it is forgotten (made unknown) before inference runs again. Symbols of the inputs (such as
 * {@code batch}) are kept: equal names there say equal sizes. Graph outputs keep their dims.
 */
public final class FreeSymbols {
  private FreeSymbols() {}

  /** The symbolic dim names of the top-level inputs of the graph tree holding {@code g}. */
  public static Set<String> ofInputs(Graph g) {
    Graph top = g;
    while (top.parentGraph() != null) {
      top = top.parentGraph();
    }
    Set<String> names = new HashSet<>();
    for (Value in : top.inputs()) {
      ValueType.TensorType t = in.tensorType();
      if (t != null && t.shape().hasRank()) {
        t.shape().dims().forEach(d -> {
          if (d instanceof Dim.Symbolic s) {
            names.add(s.name());
          }
        });
      }
    }
    return names;
  }

  /** Forgets the symbolic dims of {@code n}'s outputs that are not in {@code inputSymbols}. */
  public static void forget(Node n, Set<String> inputSymbols, Rewriter rw) {
    for (Value v : n.outputs()) {
      ValueType.TensorType t = v == null || v.isGraphOutput() ? null : v.tensorType();
      if (t == null || !t.shape().hasRank()
          || t.shape().dims().stream().noneMatch(d -> isFree(d, inputSymbols))) {
        continue;
      }
      List<Dim> dims = t.shape().dims().stream()
          .map(d -> isFree(d, inputSymbols) ? Dim.UNKNOWN : d).toList();
      rw.setType(v, new ValueType.TensorType(t.dtype(), Shape.of(dims)));
    }
  }

  private static boolean isFree(Dim d, Set<String> inputSymbols) {
    return d instanceof Dim.Symbolic s && !inputSymbols.contains(s.name());
  }
}
