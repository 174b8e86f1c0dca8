package dev.convoy.transforms.optimize.infer;

import dev.convoy.ir.graph.Dim;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.transforms.optimize.OptimizeException;
import dev.convoy.transforms.optimize.Pass;
import dev.convoy.transforms.optimize.PassContext;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Fixes the shapes of graph inputs from {@code --input-shape NAME=1x3x224x224}
 * ({@link dev.convoy.transforms.optimize.OptimizeOptions#inputShapes()}). A symbolic dim bound
 * this way is replaced by its size wherever it appears (declared intermediate and output types,
 * subgraphs included), since equal symbols denote equal sizes. A shape that contradicts a static
 * dim or the rank, or names no input, is an error naming the input. Two inputs that share a
 * {@code dim_param} but are given different sizes for it are a warning naming both (ONNX Runtime
 * runs such a model): each input keeps its given shape and the name is bound to neither.
 */
public final class FixInputShapes implements Pass {
  public static final String NAME = "fix-input-shapes";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int run(Graph graph, PassContext ctx) {
    Map<String, long[]> given = ctx.options().inputShapes();
    if (given.isEmpty()) {
      return 0;
    }
    Map<String, Long> symbols = new HashMap<>();
    Map<String, String> boundBy = new HashMap<>();
    Set<String> conflicting = new HashSet<>();
    Rewriter rw = new Rewriter(ctx);
    int changed = 0;
    for (var e : given.entrySet()) {
      Value in = input(graph, e.getKey());
      ValueType.TensorType t = in.tensorType();
      long[] dims = e.getValue();
      if (t == null) {
        throw new OptimizeException("--input-shape " + e.getKey() + ": the input's type is unknown"
            + " or not a tensor");
      }
      Shape s = t.shape();
      if (s.hasRank() && s.rank() != dims.length) {
        throw new OptimizeException("--input-shape " + e.getKey() + "=" + Shape.toString(dims)
            + ": the input has rank " + s.rank() + " (" + t + ")");
      }
      for (int i = 0; s.hasRank() && i < dims.length; i++) {
        Dim d = s.dim(i);
        if (d.isStatic() && d.size() != dims[i]) {
          throw new OptimizeException("--input-shape " + e.getKey() + "=" + Shape.toString(dims)
              + " contradicts the declared " + t);
        }
        if (d instanceof Dim.Symbolic sym) {
          Long prior = symbols.putIfAbsent(sym.name(), dims[i]);
          boundBy.putIfAbsent(sym.name(), e.getKey());
          if (prior != null && prior != dims[i] && conflicting.add(sym.name())) {
            ctx.note("warning: --input-shape gives dim '" + sym.name() + "' the size " + prior
                + " in input '" + boundBy.get(sym.name()) + "' but " + dims[i] + " in input '"
                + e.getKey() + "'; the name is not treated as one size");
          }
        }
      }
      ValueType.TensorType fixed = new ValueType.TensorType(t.dtype(), Shape.of(dims));
      if (!fixed.equals(t)) {
        ctx.rememberDeclared(in, t);
        rw.setType(in, fixed);
        changed++;
      }
    }
    symbols.keySet().removeAll(conflicting);
    changed += substitute(graph, symbols, rw);
    ctx.count(NAME, changed);
    return changed;
  }

  private static Value input(Graph graph, String name) {
    List<String> names = new ArrayList<>();
    for (Value v : graph.inputs()) {
      if (v.name().equals(name)) {
        return v;
      }
      names.add(v.name());
    }
    throw new OptimizeException("--input-shape names '" + name + "', which is not an input of the"
        + " graph (inputs: " + String.join(", ", names) + ")");
  }

  /** Replaces bound symbols in every value type of the graph tree; returns how many changed. */
  private static int substitute(Graph graph, Map<String, Long> symbols, Rewriter rw) {
    if (symbols.isEmpty()) {
      return 0;
    }
    int[] changed = {0};
    List<Value> values = new ArrayList<>(graph.inputs());
    values.addAll(graph.outputs());
    graph.forEachNode(n -> {
      n.outputs().forEach(values::add);
      n.subgraphs().forEach(g -> {
        values.addAll(g.inputs());
        values.addAll(g.outputs());
      });
    });
    for (Value v : values) {
      ValueType.TensorType t = v == null ? null : v.tensorType();
      if (t == null || !t.shape().hasRank()) {
        continue;
      }
      List<Dim> dims = new ArrayList<>();
      boolean any = false;
      for (Dim d : t.shape().dims()) {
        if (d instanceof Dim.Symbolic sym && symbols.containsKey(sym.name())) {
          dims.add(Dim.of(symbols.get(sym.name())));
          any = true;
        } else {
          dims.add(d);
        }
      }
      if (any) {
        rw.setType(v, new ValueType.TensorType(t.dtype(), Shape.of(dims)));
        changed[0]++;
      }
    }
    return changed[0];
  }
}
