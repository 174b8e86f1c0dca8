package dev.convoy.transforms.partition;

import dev.convoy.ir.eval.ShapeInference;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Use;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.memory.MemoryPlanCodec;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Splits a graph into contiguous runs of its top-level nodes (its execution order), so that the
 * pieces can be optimized independently, on different workers, and put back together by {@link
 * GraphStitcher}. A node's subgraphs stay whole inside its piece; values they capture from the
 * top level count as reads of that node. Tensors are shared with the original, not copied.
 */
public final class GraphPartitioner {
  private GraphPartitioner() {}

  /**
   * Cuts {@code g} into {@code ceil(totalNodes / maxNodesPerPiece)} pieces of about equal node
   * count (nodes inside subgraphs included). A graph at or under the threshold gives one piece.
   * Each cut moves, within a quarter of a piece, to where the fewest values cross it: at such
   * narrow points (between the blocks of a network) rewrites rarely need both sides, so the
   * pieces optimize almost as well as the whole graph.
   */
  public static Partition split(Graph g, int maxNodesPerPiece) {
    if (maxNodesPerPiece <= 0) {
      throw new IllegalArgumentException("maxNodesPerPiece must be positive: " + maxNodesPerPiece);
    }
    // Boundary values become piece inputs: give them the types shape inference finds, so each
    // piece's passes know what crosses into it (on a copy: splitting leaves g as it was).
    Graph typed = g.copy();
    ShapeInference.infer(typed);
    return splitTyped(typed, maxNodesPerPiece);
  }

  private static Partition splitTyped(Graph g, int maxNodesPerPiece) {
    List<Node> nodes = constantsSunkToFirstUse(g);
    int[] weight = new int[nodes.size()];
    long total = 0;
    for (int i = 0; i < weight.length; i++) {
      weight[i] = 1;
      for (Graph sub : nodes.get(i).subgraphs()) {
        weight[i] += sub.totalNodeCount();
      }
      total += weight[i];
    }
    int k = (int) Math.min(nodes.size(),
        Math.max(1, (total + maxNodesPerPiece - 1) / maxNodesPerPiece));
    int[] crossing = crossingValues(g, nodes);
    int window = Math.max(1, maxNodesPerPiece / 4);
    List<Integer> cuts = new ArrayList<>();
    long acc = 0;
    for (int i = 0; i < nodes.size() && cuts.size() < k - 1; i++) {
      acc += weight[i];
      if (acc * k >= (long) (cuts.size() + 1) * total && i + 1 < nodes.size()) {
        int previous = cuts.isEmpty() ? 0 : cuts.get(cuts.size() - 1);
        int cut = narrowestCutNear(i + 1, window, previous, crossing);
        if (cut < nodes.size()) {
          cuts.add(cut);
        }
      }
    }
    return splitAt(g, nodes, cuts.stream().mapToInt(Integer::intValue).toArray());
  }

  /**
   * Cuts {@code g} before each top-level node index in {@code cuts} (strictly increasing, each
   * in {@code 1..nodes-1}).
   */
  public static Partition splitAt(Graph g, int[] cuts) {
    return splitAt(g, g.nodes(), cuts);
  }

  /** As {@link #splitAt(Graph, int[])} along {@code nodes}, a topological order of g's nodes. */
  private static Partition splitAt(Graph g, List<Node> nodes, int[] cuts) {
    if (!g.isTopLevel()) {
      throw new IllegalArgumentException("partition a top-level graph");
    }
    int[] bounds = new int[cuts.length + 2];
    bounds[cuts.length + 1] = nodes.size();
    for (int i = 0; i < cuts.length; i++) {
      if (cuts[i] <= bounds[i] || cuts[i] >= nodes.size()) {
        throw new IllegalArgumentException("bad cut " + cuts[i] + " for " + nodes.size() + " nodes");
      }
      bounds[i + 1] = cuts[i];
    }
    Map<Node, Integer> position = new IdentityHashMap<>();
    for (int i = 0; i < nodes.size(); i++) {
      position.put(nodes.get(i), i);
    }
    List<Graph> pieces = new ArrayList<>();
    List<Partition.Boundary> boundaries = new ArrayList<>();
    for (int p = 0; p + 1 < bounds.length; p++) {
      Piece piece = piece(g, nodes, position, bounds[p], bounds[p + 1], p);
      pieces.add(piece.graph);
      boundaries.add(new Partition.Boundary(p, bounds[p], bounds[p + 1], piece.inputs, piece.outputs));
    }
    return new Partition(pieces, boundaries);
  }

  private record Piece(Graph graph, List<String> inputs, List<String> outputs) {}

  private static Piece piece(Graph g, List<Node> nodes, Map<Node, Integer> position, int from,
      int to, int index) {
    Graph piece = new Graph();
    piece.setName(g.name() + "#" + index);
    piece.setDocString(g.docString());
    piece.opsets().putAll(g.opsets());
    piece.metadata().putAll(g.metadata());
    piece.metadata().remove(MemoryPlanCodec.KEY); // a plan fits only the whole original
    piece.setInfo(g.info());
    List<Node> chunk = nodes.subList(from, to);

    // Top-level values this chunk reads (directly or by capture) but does not define.
    Set<Value> external = new LinkedHashSet<>();
    for (Node n : chunk) {
      collectTopLevelReads(g, n, external);
    }
    external.removeIf(v -> v.producer() != null && inChunk(position, v.producer(), from, to));

    Map<Value, Value> map = new IdentityHashMap<>();
    List<String> inputs = new ArrayList<>();
    for (Value in : g.inputs()) {
      if (external.contains(in)) {
        map.put(in, piece.addInput(in.name(), in.type()));
        inputs.add(in.name());
      }
    }
    external.stream()
        .filter(v -> v.producer() != null)
        .sorted(Comparator.comparingInt((Value v) -> position.get(v.producer()))
            .thenComparingInt(Value::producerIndex))
        .forEach(v -> {
          map.put(v, piece.addInput(v.name(), v.type()));
          inputs.add(v.name());
        });
    for (Value init : g.initializers()) {
      if (external.contains(init)) {
        map.put(init, piece.addInitializer(init.name(), init.constant()));
      }
    }
    for (Node n : chunk) {
      piece.appendCopyOf(n, map);
    }
    List<String> outputs = new ArrayList<>();
    for (Node n : chunk) {
      for (Value out : n.outputs()) {
        if (out != null && (out.isGraphOutput() || readAfter(g, position, out, to))) {
          piece.addOutput(map.get(out));
          outputs.add(out.name());
        }
      }
    }
    return new Piece(piece, inputs, outputs);
  }

  /** For each cut position i (before {@code nodes[i]}), how many node outputs cross it. */
  private static int[] crossingValues(Graph g, List<Node> nodes) {
    Map<Node, Integer> position = new IdentityHashMap<>();
    for (int i = 0; i < nodes.size(); i++) {
      position.put(nodes.get(i), i);
    }
    int[] delta = new int[nodes.size() + 2];
    for (int d = 0; d < nodes.size(); d++) {
      for (Value v : nodes.get(d).outputs()) {
        if (v == null) {
          continue;
        }
        int last = d;
        for (Use u : v.uses()) {
          last = Math.max(last, position.get(u.node().enclosingNodeIn(g)));
        }
        delta[d + 1]++;
        delta[last + 1]--;
      }
    }
    int[] crossing = new int[nodes.size() + 1];
    int running = 0;
    for (int i = 0; i <= nodes.size(); i++) {
      running += delta[i];
      crossing[i] = running;
    }
    return crossing;
  }

  /** The cut in {@code target ± window} (after {@code previous}) with the fewest crossings. */
  private static int narrowestCutNear(int target, int window, int previous, int[] crossing) {
    int last = crossing.length - 2; // cuts lie in 1..nodes-1
    // After the previous cut, even when it moved past the target (a heavy node, its subgraphs
    // counted, asks for several cuts at once: control-71636); past the last node, no cut.
    int best = Math.max(target, previous + 1);
    for (int c = Math.max(previous + 1, target - window); c <= Math.min(last, target + window);
        c++) {
      if (crossing[c] < crossing[best]
          || crossing[c] == crossing[best] && Math.abs(c - target) < Math.abs(best - target)) {
        best = c;
      }
    }
    return best;
  }

  /**
   * The graph's order with every constant-only node (all inputs initializers or outputs of other
   * constant-only nodes, no subgraphs) moved down to just before its first reader. Exporters often
   * put all weight-producing nodes first (Constant, ConstantOfShape fills); cut as they are, the
   * first piece would hold every weight computation and later pieces would get weights as
   * boundary inputs they cannot fold. Still a topological order.
   */
  static List<Node> constantsSunkToFirstUse(Graph g) {
    Set<Node> constant = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    for (Node n : g.nodes()) {
      boolean allConst = n.subgraphs().isEmpty();
      for (Value in : n.inputs()) {
        if (in != null && !in.isInitializer()
            && (in.producer() == null || !constant.contains(in.producer()))) {
          allConst = false;
        }
      }
      if (allConst) {
        constant.add(n);
      }
    }
    List<Node> order = new ArrayList<>();
    Set<Node> placed = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    for (Node n : g.nodes()) {
      if (!constant.contains(n)) {
        placeWithConstantInputs(n, constant, placed, order);
      }
    }
    for (Node n : g.nodes()) {
      if (!placed.contains(n)) {
        placeWithConstantInputs(n, constant, placed, order);
      }
    }
    return order;
  }

  private static void placeWithConstantInputs(Node n, Set<Node> constant, Set<Node> placed,
      List<Node> order) {
    if (!placed.add(n)) {
      return;
    }
    List<Node> producers = new ArrayList<>();
    collectProducers(n, n.graph(), producers);
    for (Node p : producers) {
      if (constant.contains(p)) {
        placeWithConstantInputs(p, constant, placed, order);
      }
    }
    order.add(n);
  }

  /** Top-level producers of what {@code n} reads, directly or from inside its subgraphs. */
  private static void collectProducers(Node n, Graph top, List<Node> into) {
    for (Value in : n.inputs()) {
      if (in != null && in.owner() == top && in.producer() != null) {
        into.add(in.producer());
      }
    }
    for (Graph sub : n.subgraphs()) {
      for (Node inner : sub.nodes()) {
        collectProducers(inner, top, into);
      }
    }
  }

  private static boolean inChunk(Map<Node, Integer> position, Node n, int from, int to) {
    int at = position.get(n);
    return at >= from && at < to;
  }

  private static void collectTopLevelReads(Graph top, Node n, Set<Value> into) {
    for (Value v : n.inputs()) {
      if (v != null && v.owner() == top) {
        into.add(v);
      }
    }
    for (Graph sub : n.subgraphs()) {
      for (Node inner : sub.nodes()) {
        collectTopLevelReads(top, inner, into);
      }
      for (Value out : sub.outputs()) {
        // A body may return an outer value directly.
        if (out.owner() == top) {
          into.add(out);
        }
      }
    }
  }

  /** Whether a top-level node at or after {@code to} reads {@code v} (directly or by capture). */
  private static boolean readAfter(Graph top, Map<Node, Integer> position, Value v, int to) {
    for (Use u : v.uses()) {
      if (position.get(u.node().enclosingNodeIn(top)) >= to) {
        return true;
      }
    }
    return false;
  }
}
