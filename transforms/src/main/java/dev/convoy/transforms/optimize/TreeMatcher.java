package dev.convoy.transforms.optimize;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Use;
import dev.convoy.ir.graph.Value;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Matches a {@link PatternTree} at a node by depth-first search with backtracking: the goals still
 * to match form a list; a commutative op or an {@link PatternTree.AnyOf} tries its choices in
 * order and undoes the bindings of one that fails. A complete match is checked for sole use and
 * then offered to the rule's condition; when no binding is accepted, the failure reported is the
 * one that got furthest (the most pattern elements matched before it).
 */
final class TreeMatcher<M> {
  /** A tree to match against a value, then the rest. */
  private record Goals(PatternTree tree, Value value, Goals next) {}

  private static final int SOLE_USE = Integer.MAX_VALUE - 1;
  private static final int CONDITION = Integer.MAX_VALUE;

  private final Node root;
  private final Function<Binding, Match<M>> condition;
  private final Map<String, Value> values = new HashMap<>();
  private final Map<String, Node> nodes = new HashMap<>();
  private final List<Node> matched = new ArrayList<>();
  private final List<Value> constants = new ArrayList<>();
  private Match<M> result;
  private String failure;
  private int furthest = -1;

  TreeMatcher(Node root, Function<Binding, Match<M>> condition) {
    this.root = root;
    this.condition = condition;
  }

  Match<M> run(PatternTree tree) {
    if (!rootOf(tree, 0)) {
      return Match.fail(failure);
    }
    return result;
  }

  private boolean rootOf(PatternTree tree, int progress) {
    if (tree instanceof PatternTree.AnyOf alt) {
      for (PatternTree t : alt.alternatives()) {
        if (rootOf(t, progress)) {
          return true;
        }
      }
      return false;
    }
    PatternTree.Op op = (PatternTree.Op) tree;
    if (!root.domain().equals(op.domain()) || !root.opType().equals(op.opType())) {
      return fail(progress, root + " is not " + op.opType());
    }
    return node(op, root, null, progress);
  }

  private boolean fail(int progress, String reason) {
    if (progress > furthest) {
      furthest = progress;
      failure = reason;
    }
    return false;
  }

  private boolean solve(Goals goals, int progress) {
    if (goals == null) {
      return complete();
    }
    PatternTree tree = goals.tree();
    Value v = goals.value();
    Goals rest = goals.next();
    if (tree instanceof PatternTree.Any) {
      return solve(rest, progress + 1);
    }
    if (tree instanceof PatternTree.Var var) {
      return bind(var.name(), v, rest, progress);
    }
    if (tree instanceof PatternTree.AnyOf alt) {
      for (PatternTree t : alt.alternatives()) {
        if (solve(new Goals(t, v, rest), progress)) {
          return true;
        }
      }
      return false;
    }
    if (tree instanceof PatternTree.Scalar s) {
      Double x = Matchers.scalar(v);
      if (x == null) {
        return fail(progress, name(v) + " is not a one-element float constant");
      }
      if (s.value() != null && !Matchers.isScalar(v, s.value())) {
        return fail(progress, name(v) + " is " + x + ", not " + s.value());
      }
      return constant(s.name(), v, rest, progress);
    }
    if (tree instanceof PatternTree.Constant c) {
      if (v == null || v.constant() == null) {
        return fail(progress, name(v) + " is not a constant");
      }
      return constant(c.name(), v, rest, progress);
    }
    PatternTree.Op op = (PatternTree.Op) tree;
    Node p = v == null ? null : v.producer();
    if (p == null || !p.domain().equals(op.domain()) || !p.opType().equals(op.opType())) {
      return fail(progress, name(v) + " is not produced by " + op.opType());
    }
    if (p.output(0) != v) {
      return fail(progress, name(v) + " is not the first output of " + p);
    }
    if (p.graph() != root.graph()) {
      return fail(progress, name(v) + " comes from an enclosing graph");
    }
    return node(op, p, rest, progress);
  }

  /** Matches op node {@code n} against {@code op}, then the rest. */
  private boolean node(PatternTree.Op op, Node n, Goals rest, int progress) {
    int arity = op.operands().size();
    if (n.inputCount() < arity || !op.extraInputs() && n.inputCount() != arity) {
      return fail(progress, n + " has " + n.inputCount() + " inputs, not " + arity);
    }
    if (op.name() != null && nodes.containsKey(op.name())) {
      return nodes.get(op.name()) == n
          ? solve(rest, progress + 1)
          : fail(progress, n + " is not the " + op.name() + " matched before");
    }
    if (op.name() != null) {
      nodes.put(op.name(), n);
      values.put(op.name(), n.output(0));
    }
    matched.add(n);
    boolean ok = operands(op, n, rest, progress + 1, false)
        || op.isCommutative() && operands(op, n, rest, progress + 1, true);
    matched.remove(matched.size() - 1);
    if (!ok && op.name() != null) {
      nodes.remove(op.name());
      values.remove(op.name());
    }
    return ok;
  }

  private boolean operands(PatternTree.Op op, Node n, Goals rest, int progress, boolean swap) {
    Goals goals = rest;
    for (int i = op.operands().size() - 1; i >= 0; i--) {
      int k = swap ? 1 - i : i;
      goals = new Goals(op.operands().get(i), n.input(k), goals);
    }
    return solve(goals, progress);
  }

  private boolean bind(String name, Value v, Goals rest, int progress) {
    if (values.containsKey(name)) {
      return values.get(name) == v
          ? solve(rest, progress + 1)
          : fail(progress, name(v) + " is not " + name(values.get(name)) + " (both are " + name
              + ")");
    }
    values.put(name, v);
    boolean ok = solve(rest, progress + 1);
    if (!ok) {
      values.remove(name);
    }
    return ok;
  }

  private boolean constant(String name, Value v, Goals rest, int progress) {
    constants.add(v);
    boolean ok = name == null ? solve(rest, progress + 1) : bind(name, v, rest, progress);
    if (!ok) {
      constants.remove(constants.size() - 1);
    }
    return ok;
  }

  /** Sole use of every matched node but the root, then the rule's condition. */
  private boolean complete() {
    Set<Node> inside = Collections.newSetFromMap(new IdentityHashMap<>());
    inside.addAll(matched);
    for (Node n : matched) {
      if (n == root) {
        continue;
      }
      for (Value out : n.outputs()) {
        if (out == null) {
          continue;
        }
        if (out.isGraphOutput()) {
          return fail(SOLE_USE, out.name() + " is a graph output");
        }
        for (Use u : out.uses()) {
          if (!inside.contains(u.node())) {
            return fail(SOLE_USE, out.name() + " has another consumer");
          }
        }
      }
    }
    Match<M> m = condition.apply(new Binding(root, values, nodes, matched, constants));
    if (!m.ok()) {
      return fail(CONDITION, m.reason());
    }
    result = m;
    return true;
  }

  private static String name(Value v) {
    return v == null ? "an omitted input" : v.name();
  }
}
