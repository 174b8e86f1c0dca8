package dev.convoy.transforms.optimize.move;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Use;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where one Transpose can sink to: the region of nodes below it (same graph) that run on the
 * un-transposed data instead, each value in it carrying the permutation that turns its new value
 * back into the original ({@link Perms}). The region's cost counts the Transposes it adds (on
 * inputs entering it that are neither constants nor the results of a Transpose that cancels, on
 * outputs leaving it with a non-trivial permutation) against those it removes (the seed, Transposes
 * inside it, Transposes feeding it that nothing else reads). The region grows breadth-first and the
 * prefix with the lowest cost is kept; a plan exists only when that cost is negative, so applying
 * it always leaves fewer Transposes.
 */
final class SinkPlan {
  /** Regions stay local: a rule never walks the whole graph. */
  static final int MAX_NODES = 256;

  final Node seed;
  final long[] perm;
  /** Members in the order they were added. */
  final List<Node> members = new ArrayList<>();
  /** The permutation each region value carries (the seed's output included). */
  final Map<Value, long[]> perms = new IdentityHashMap<>();
  /** What each non-Transpose member becomes. */
  final Map<Node, MovedOp> moves = new IdentityHashMap<>();
  /** The permutation each member's layout inputs carry. */
  final Map<Node, long[]> required = new IdentityHashMap<>();
  private final Set<Node> memberSet = java.util.Collections.newSetFromMap(new IdentityHashMap<>());

  private SinkPlan(Node seed, long[] perm) {
    this.seed = seed;
    this.perm = perm;
    perms.put(seed.output(0), perm);
  }

  /** The best region below {@code seed}, or why there is none. */
  static Match<SinkPlan> of(Node seed) {
    long[] p = Perms.of(seed);
    if (p == null) {
      return Match.fail(seed.output(0).name() + " has no explicit permutation");
    }
    if (Facts.isIdentityPermutation(p)) {
      return Match.fail(seed.output(0).name() + " is an identity Transpose");
    }
    SinkPlan grown = new SinkPlan(seed, p);
    int best = 0;
    int bestSize = 0;
    ArrayDeque<Value> frontier = new ArrayDeque<>();
    frontier.add(seed.output(0));
    while (!frontier.isEmpty() && grown.members.size() < MAX_NODES) {
      Value v = frontier.poll();
      for (Use u : List.copyOf(v.uses())) {
        Node c = u.node();
        if (c.graph() != seed.graph() || grown.memberSet.contains(c) || !grown.add(c)) {
          continue;
        }
        for (Value out : c.outputs()) {
          long[] q = out == null ? null : grown.perms.get(out);
          if (q != null && !Facts.isIdentityPermutation(q)) {
            frontier.add(out);
          }
        }
        int net = grown.cost();
        if (net < best) {
          best = net;
          bestSize = grown.members.size();
        }
      }
    }
    if (bestSize == 0) {
      return Match.fail("sinking " + seed.output(0).name() + " removes no Transpose");
    }
    SinkPlan plan = new SinkPlan(seed, p);
    for (Node c : grown.members.subList(0, bestSize)) {
      plan.add(c);
    }
    return Match.of(plan);
  }

  /** Adds {@code c} when it can run on the region's values; else leaves the region as it was. */
  private boolean add(Node c) {
    long[] q = Perms.of(c);
    long[] in = null;
    for (Value v : c.inputs()) {
      long[] r = v == null ? null : perms.get(v);
      if (r != null) {
        if (in != null && !Arrays.equals(in, r)) {
          return false;
        }
        in = r;
      }
    }
    if (in == null) {
      return false;
    }
    List<long[]> outPerms;
    if (q != null) {
      if (q.length != in.length) {
        return false;
      }
      outPerms = List.of(Perms.compose(in, q));
    } else {
      MovedOp m = MovableOps.move(c, in);
      if (m == null || !entriesFit(c, m, in)) {
        return false;
      }
      moves.put(c, m);
      outPerms = m.outputPerms();
    }
    for (int k = 0; k < c.outputCount(); k++) {
      Value out = c.output(k);
      if (out != null && !consistentWithMembers(out, outPerms.get(k))) {
        moves.remove(c);
        return false;
      }
    }
    members.add(c);
    memberSet.add(c);
    required.put(c, in);
    for (int k = 0; k < c.outputCount(); k++) {
      if (c.output(k) != null) {
        perms.put(c.output(k), outPerms.get(k));
      }
    }
    return true;
  }

  /**
   * Whether every region value read by {@code c} is a layout input, and every other layout input
   * can be moved: a scalar, a constant of at most the region's rank, or a value of exactly that rank.
   */
  private boolean entriesFit(Node c, MovedOp m, long[] in) {
    for (int i = 0; i < c.inputCount(); i++) {
      Value v = c.input(i);
      boolean layout = m.layoutInputs().contains(i);
      if (v != null && perms.containsKey(v) && !layout) {
        return false;
      }
      if (!layout || v == null || perms.containsKey(v)) {
        continue;
      }
      int r = Facts.rank(v);
      if (r == 0) {
        continue;
      }
      if (v.constant() != null) {
        if (!Perms.canPermute(v.constant()) || v.constant().rank() > in.length) {
          return false;
        }
      } else if (r != in.length) {
        return false;
      }
    }
    return true;
  }

  /** Whether members already reading {@code out} read it as a layout input moved by {@code q}. */
  private boolean consistentWithMembers(Value out, long[] q) {
    for (Use u : out.uses()) {
      Node m = u.node();
      if (!memberSet.contains(m)) {
        continue;
      }
      MovedOp mo = moves.get(m);
      boolean layout = mo == null || mo.layoutInputs().contains(u.index());
      if (!layout || !Arrays.equals(required.get(m), q)) {
        return false;
      }
    }
    return true;
  }

  /** Transposes added minus Transposes removed if the region were applied. */
  int cost() {
    int added = 0;
    int removed = 0;
    if (onlyReadByMembers(seed.output(0))) {
      removed++;
    }
    Set<String> entries = new HashSet<>();
    Set<Value> deadFeeders = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    for (Node c : members) {
      MovedOp m = moves.get(c);
      if (m == null) {
        removed++;
        continue;
      }
      long[] in = required.get(c);
      for (int i : m.layoutInputs()) {
        Value v = c.input(i);
        if (perms.containsKey(v) || Facts.rank(v) == 0 || v.constant() != null
            || !entries.add(v.name() + Arrays.toString(in))) {
          continue;
        }
        long[] q = v.producer() == null ? null : Perms.of(v.producer());
        if (q == null || q.length != in.length
            || !Facts.isIdentityPermutation(Perms.compose(q, Perms.inverse(in)))) {
          added++;
        }
        if (q != null && onlyReadByMembers(v) && deadFeeders.add(v)) {
          removed++;
        }
      }
    }
    Set<Value> renamed = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    for (Node c : members) {
      for (Value out : c.outputs()) {
        if (out == null || onlyReadByMembers(out)) {
          continue;
        }
        long[] q = perms.get(out);
        if (Facts.isIdentityPermutation(q)) {
          Value source = out.isGraphOutput() ? movedSource(out) : null;
          if (out.isGraphOutput() && (source == null || !renamed.add(source))) {
            return Integer.MAX_VALUE;
          }
        } else if (!keepsDataOrder(out, q)) {
          added++;
        }
      }
    }
    return added - removed;
  }

  /** Whether {@code v} is read, and only by members (no graph output, no other reader). */
  boolean onlyReadByMembers(Value v) {
    if (v.isGraphOutput()) {
      return false;
    }
    for (Use u : v.uses()) {
      if (!memberSet.contains(u.node())) {
        return false;
      }
    }
    return true;
  }

  /**
   * The value that the graph output {@code out}, whose new value is its own data, becomes: the
   * output of a moved copy, or the seed's input reached through Transposes only; null when that
   * value cannot take an output's place (a graph input, an initializer, another graph's value or
   * a graph output already).
   */
  private Value movedSource(Value out) {
    Value v = out;
    while (v.producer() != null && memberSet.contains(v.producer())
        && moves.get(v.producer()) == null) {
      v = v.producer().input(0);
    }
    if (v != seed.output(0)) {
      return v;
    }
    Value x = seed.input(0);
    boolean renamable = x.kind() == Value.Kind.NODE_OUTPUT && x.owner() == out.owner()
        && !x.isGraphOutput();
    return renamable ? x : null;
  }

  /**
   * Whether {@code q} only moves axes of size 1 of {@code out} (which has static dims), so that the
   * new value is the original's data in the same order and a Reshape restores the shape.
   */
  static boolean keepsDataOrder(Value out, long[] q) {
    long[] dims = Facts.staticDims(out);
    if (dims == null || dims.length != q.length) {
      return false;
    }
    long last = -1;
    for (int i = 0; i < q.length; i++) {
      if (dims[i] != 1) {
        if (q[i] < last) {
          return false;
        }
        last = q[i];
      }
    }
    return true;
  }

  /** The members in graph order. */
  List<Node> membersInOrder() {
    Graph g = seed.graph();
    Map<Node, Integer> pos = new IdentityHashMap<>();
    List<Node> nodes = g.nodes();
    for (int i = 0; i < nodes.size(); i++) {
      pos.put(nodes.get(i), i);
    }
    List<Node> sorted = new ArrayList<>(members);
    sorted.sort((a, b) -> Integer.compare(pos.get(a), pos.get(b)));
    return sorted;
  }
}
