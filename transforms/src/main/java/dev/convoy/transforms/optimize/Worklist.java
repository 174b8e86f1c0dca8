package dev.convoy.transforms.optimize;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Use;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.infer.FreeSymbols;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * The worklist of {@link RuleSetPass}'s driver, kept apart from the editor: it listens to the
 * {@link Rewriter} and queues every node a change may affect (inserted and modified nodes, the
 * readers of a replaced value, the producer of a value that lost a reader, which may now be
 * dead). A node queued by a change is "touched": the driver re-infers its output types before
 * offering it to the rules. Erased nodes are never handed out.
 */
final class Worklist implements Rewriter.Listener {
  private final ArrayDeque<Node> queue = new ArrayDeque<>();
  private final Set<Node> queued = Collections.newSetFromMap(new IdentityHashMap<>());
  private final Set<Node> erased = Collections.newSetFromMap(new IdentityHashMap<>());
  private final Set<Node> touched = Collections.newSetFromMap(new IdentityHashMap<>());
  private Set<String> inputSymbols;

  @Override
  public void nodeInserted(Node node) {
    push(node);
  }

  @Override
  public void nodeErased(Node node) {
    erased.add(node);
  }

  @Override
  public void nodeModified(Node node) {
    push(node);
  }

  @Override
  public void valueReplaced(Value old, Value replacement) {
    for (Use u : old.uses()) {
      push(u.node());
    }
    if (replacement.producer() != null) {
      push(replacement.producer());
    }
  }

  @Override
  public void inputDropped(Value value) {
    if (value.producer() != null) {
      push(value.producer());
    }
  }

  /** The symbolic dims of the model's inputs (computed once per rule-set run). */
  Set<String> inputSymbols(Graph g) {
    if (inputSymbols == null) {
      inputSymbols = FreeSymbols.ofInputs(g);
    }
    return inputSymbols;
  }

  /** Queues a node a change may affect; its output types are re-inferred when it is visited. */
  void push(Node n) {
    if (!erased.contains(n)) {
      touched.add(n);
      seed(n);
    }
  }

  /** Queues a node for its first visit. */
  void seed(Node n) {
    if (!erased.contains(n) && queued.add(n)) {
      queue.add(n);
    }
  }

  /** Whether {@code n} was queued by a change (and clears the mark). */
  boolean takeTouched(Node n) {
    return touched.remove(n);
  }

  /** The next node that is still in its graph, or null when the list is empty. */
  Node pop() {
    while (!queue.isEmpty()) {
      Node n = queue.poll();
      queued.remove(n);
      if (!erased.contains(n)) {
        return n;
      }
    }
    return null;
  }

  boolean isErased(Node n) {
    return erased.contains(n);
  }
}
