package dev.convoy.transforms.partition;

import dev.convoy.ir.InvalidModelException;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.memory.MemoryPlanCodec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Puts the (possibly optimized) pieces of a {@link Partition} back into one graph with the
 * original's interface: its inputs, outputs (names and order), opsets and metadata. Boundary
 * values connect by name, as the graph interface of each piece names them. An initializer two
 * pieces share is kept once; values a piece's optimizer created whose names clash with another
 * piece's are renamed.
 */
public final class GraphStitcher {
  private GraphStitcher() {}

  /** One graph from {@code pieces} (in order) with the interface of {@code original}. */
  public static Graph stitch(Graph original, List<Graph> pieces) {
    Graph out = new Graph();
    out.setName(original.name());
    out.setDocString(original.docString());
    out.opsets().putAll(original.opsets());
    out.metadata().putAll(original.metadata());
    out.metadata().remove(MemoryPlanCodec.KEY); // a plan fits only the whole original
    out.setInfo(original.info());
    Map<String, Value> byName = new HashMap<>();
    for (Value in : original.inputs()) {
      Value v = out.addInput(in.name(), in.type());
      v.setDocString(in.docString());
      byName.put(in.name(), v);
    }
    for (int p = 0; p < pieces.size(); p++) {
      // Work on a copy: renaming must not change the caller's piece.
      Graph piece = pieces.get(p).copy();
      for (var e : piece.opsets().entrySet()) {
        out.opsets().merge(e.getKey(), e.getValue(), Math::max);
      }
      Map<Value, Value> map = new IdentityHashMap<>();
      for (Value in : piece.inputs()) {
        Value v = byName.get(in.name());
        if (v == null) {
          throw new InvalidModelException("piece " + p + " of " + original.name()
              + " reads '" + in.name() + "', which no earlier piece or graph input defines");
        }
        map.put(in, v);
      }
      for (Value init : piece.initializers()) {
        Value have = byName.get(init.name());
        if (have != null && have.isInitializer() && have.constant().equals(init.constant())) {
          map.put(init, have);
          continue;
        }
        String name = out.isNameTaken(init.name()) ? out.uniqueName(init.name()) : init.name();
        Value v = out.addInitializer(name, init.constant());
        v.setDocString(init.docString());
        map.put(init, v);
        if (name.equals(init.name())) {
          byName.put(name, v);
        }
      }
      renameClashes(piece, out, p);
      for (Node n : piece.nodes()) {
        out.appendCopyOf(n, map);
      }
      for (Value o : piece.outputs()) {
        byName.put(o.name(), map.getOrDefault(o, o));
      }
    }
    for (Value o : original.outputs()) {
      Value v = byName.get(o.name());
      if (v == null && o.isInitializer()) {
        v = out.addInitializer(o.name(), o.constant());
      }
      if (v == null) {
        throw new InvalidModelException(
            "no piece of " + original.name() + " defines graph output '" + o.name() + "'");
      }
      if (!v.name().equals(o.name())) {
        // A piece's optimizer let the output alias another value; keep the interface name.
        Node id = out.addNode("", "Identity", List.of(v), List.of(o.name()), Map.of());
        v = id.output(0);
        v.setType(o.type());
      }
      out.addOutput(v);
    }
    return out;
  }

  /**
   * Renames node outputs (at any depth) of {@code piece} whose names are already used in {@code
   * out}; the piece's own graph outputs keep their names, they are the boundary.
   */
  private static void renameClashes(Graph piece, Graph out, int index) {
    Set<Value> keep = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    keep.addAll(piece.outputs());
    List<Value> defined = new ArrayList<>();
    piece.forEachNode(n -> {
      for (Value v : n.outputs()) {
        if (v != null) {
          defined.add(v);
        }
      }
      for (Graph sub : n.subgraphs()) {
        defined.addAll(sub.inputs());
        defined.addAll(sub.initializers());
      }
    });
    for (Value v : defined) {
      if (!keep.contains(v) && out.isNameTaken(v.name())) {
        String base = v.name() + "_p" + index;
        String name = base;
        for (int i = 1; out.isNameTaken(name) || piece.isNameTaken(name); i++) {
          name = base + "_" + i;
        }
        v.rename(name);
      }
    }
  }
}
