package dev.convoy.transforms.optimize.infer;

import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import java.util.List;

/**
 * Once every input of the model is static, a symbolic dim left on an intermediate value is only a
 * name for a size nobody had computed yet (an exporter's {@code Squeeze665_dim_0}, or one
 * inference made up on an earlier, less informed run). Declared facts win when inference merges,
 * so such a name would keep the now computable static size out; it is forgotten (made unknown)
 * before inference runs again. Graph outputs keep their declared dims.
 */
public final class FreeSymbols {
  private FreeSymbols() {}

  /** Whether every input of the top-level graph holding {@code g} has a static shape. */
  public static boolean inputsAreStatic(Graph g) {
    Graph top = g;
    while (top.parentGraph() != null) {
      top = top.parentGraph();
    }
    for (Value in : top.inputs()) {
      ValueType.TensorType t = in.tensorType();
      if (t == null || !t.shape().isStatic()) {
        return false;
      }
    }
    return true;
  }

  /** Forgets the symbolic dims of {@code n}'s outputs that are not graph outputs. */
  public static void forget(Node n) {
    for (Value v : n.outputs()) {
      ValueType.TensorType t = v == null || v.isGraphOutput() ? null : v.tensorType();
      if (t == null || !t.shape().hasRank()
          || t.shape().dims().stream().noneMatch(d -> d instanceof Dim.Symbolic)) {
        continue;
      }
      List<Dim> dims = t.shape().dims().stream()
          .map(d -> d instanceof Dim.Symbolic ? Dim.UNKNOWN : d).toList();
      v.setType(new ValueType.TensorType(t.dtype(), Shape.of(dims)));
    }
  }
}
