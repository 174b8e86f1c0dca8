package dev.convoy.transforms.optimize;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * What a {@link PatternTree} bound: its variables, named ops and constants to values, its named
 * ops to nodes, and every node it matched. A rule's condition reads it; a rule whose rewrite needs
 * nothing more can take it as its match record.
 */
public final class Binding {
  private final Node root;
  private final Map<String, Value> values;
  private final Map<String, Node> nodes;
  private final List<Node> matched;
  private final List<Value> constants;

  Binding(Node root, Map<String, Value> values, Map<String, Node> nodes, List<Node> matched,
      List<Value> constants) {
    this.root = root;
    this.values = Collections.unmodifiableMap(new HashMap<>(values));
    this.nodes = Map.copyOf(nodes);
    this.matched = List.copyOf(matched);
    this.constants = List.copyOf(constants);
  }

  /** The node the pattern is rooted at. */
  public Node root() {
    return root;
  }

  /** The value bound to a variable, constant or named op; null when that name bound none. */
  public Value value(String name) {
    return values.get(name);
  }

  /** The node bound to a named op; null when that op is in an alternative that did not match. */
  public Node node(String name) {
    return nodes.get(name);
  }

  /** The value of a one-element constant bound to {@code name}. */
  public double scalar(String name) {
    return Matchers.scalar(values.get(name));
  }

  /** The values the pattern's {@code scalar} and {@code constant} leaves matched, in tree order. */
  public List<Value> constants() {
    return constants;
  }

  /**
   * Every matched node, readers before what they read (so erasing them in this order never
   * erases a node that is still read by another of them).
   */
  public List<Node> nodes() {
    List<Node> order = new ArrayList<>(new LinkedHashSet<>(matched));
    Map<Node, Integer> at = new HashMap<>();
    List<Node> all = root.graph().nodes();
    for (int i = 0; i < all.size(); i++) {
      at.put(all.get(i), i);
    }
    order.sort(Comparator.comparing((Node n) -> at.getOrDefault(n, -1)).reversed());
    return order;
  }
}
