package dev.convoy.transforms.optimize;

import dev.convoy.ir.ConvoyException;
import dev.convoy.ir.eval.ShapeInference;
import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import dev.convoy.ir.ops.OpCatalog;
import dev.convoy.transforms.optimize.infer.FreeSymbols;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Runs a set of rules to a fixpoint, worklist driven: every node of the graph and of its
 * subgraphs starts on the worklist; a node is offered to the rules indexed under its domain and op
 * type (and to any-op rules); when one fires, the nodes the rewrite touched go back on the list. The run
 * stops when the list is empty or after {@code maxRewrites} rewrites; the latter is recorded as
 * not converged. Nodes of subgraphs whose shapes failed to infer ({@link
 * PassContext#isUninferred}) are left as they are.
 */
public final class RuleSetPass implements Pass {
  /** The default rewrite cap of a rule set. */
  public static final int DEFAULT_MAX_REWRITES = 1_000_000;

  private final String name;
  private final List<Rule> rules;
  private final int maxRewrites;
  private final Map<String, List<Rule>> byOp = new HashMap<>();
  private final List<Rule> anyOp = new ArrayList<>();

  public RuleSetPass(String name, List<Rule> rules, int maxRewrites) {
    this.name = name;
    this.rules = List.copyOf(rules);
    this.maxRewrites = maxRewrites;
    for (Rule r : this.rules) {
      if (r.pattern().isAnyOp()) {
        anyOp.add(r);
      } else {
        for (String op : r.pattern().rootOps()) {
          byOp.computeIfAbsent(key(r.pattern().domain(), op), k -> new ArrayList<>()).add(r);
        }
      }
    }
  }

  @Override
  public String name() {
    return name;
  }

  public List<Rule> rules() {
    return rules;
  }

  @Override
  public int run(Graph graph, PassContext ctx) {
    Worklist work = new Worklist();
    Rewriter rw = new Rewriter(ctx, work);
    graph.forEachNode(work::seed);
    int count = 0;
    for (Node n = work.pop(); n != null; n = work.pop()) {
      if (ctx.isUninferred(n.graph())) {
        continue;
      }
      if (work.takeTouched(n)) {
        refreshTypes(n, work, rw);
      }
      Rule fired = applyFirst(n, rw, ctx);
      if (fired == null) {
        continue;
      }
      count++;
      ctx.count(fired.name(), 1);
      ctx.checkRewrite(graph, fired.name());
      if (!work.isErased(n)) {
        work.push(n);
        for (var out : n.outputs()) {
          if (out != null) {
            out.uses().forEach(u -> work.push(u.node()));
          }
        }
      }
      if (count >= maxRewrites) {
        ctx.markNotConverged(
            "rule set '" + name + "' did not settle within " + maxRewrites + " rewrites");
        break;
      }
    }
    return count;
  }

  /**
   * Re-infers the output types of a node whose inputs changed, so that shape facts made by one
   * rewrite (a folded constant, a fixed dim) reach the rules at the next node in the same run;
   * readers of an output whose type got more precise are visited again.
   */
  private static void refreshTypes(Node n, Worklist work, Rewriter rw) {
    List<ValueType> before = new ArrayList<>();
    n.outputs().forEach(v -> before.add(v == null ? null : v.type()));
    FreeSymbols.forget(n, work.inputSymbols(n.graph()), rw);
    try {
      new ShapeInference(OpCatalog.standard()).apply(n);
    } catch (ConvoyException e) {
      return;
    }
    for (int k = 0; k < n.outputCount(); k++) {
      Value out = n.output(k);
      if (out != null && !Objects.equals(before.get(k), out.type())) {
        out.uses().forEach(u -> work.push(u.node()));
      }
    }
  }

  private Rule applyFirst(Node n, Rewriter rw, PassContext ctx) {
    for (Rule r : candidates(n)) {
      if (r instanceof MatchingRule<?> mr && r.pattern().accepts(n)) {
        if (applyMatched(mr, n, rw, ctx)) {
          return r;
        }
        continue;
      }
      if (r.pattern().accepts(n) && r.matches(n, rw)) {
        ctx.setCurrentRule(r.name());
        r.rewrite(n, rw);
        return r;
      }
    }
    return null;
  }

  private static <M> boolean applyMatched(
      MatchingRule<M> r, Node n, Rewriter rw, PassContext ctx) {
    Match<M> m = r.match(n, rw);
    if (!m.ok()) {
      return false;
    }
    ctx.setCurrentRule(r.name());
    r.apply(n, m.value(), rw);
    return true;
  }

  /** The index key of an op: its type, qualified by its domain outside the default one. */
  private static String key(String domain, String opType) {
    return domain.isEmpty() ? opType : domain + "::" + opType;
  }

  private List<Rule> candidates(Node n) {
    List<Rule> indexed = byOp.get(key(n.domain(), n.opType()));
    if (indexed == null) {
      return anyOp;
    }
    if (anyOp.isEmpty()) {
      return indexed;
    }
    List<Rule> all = new ArrayList<>(indexed);
    all.addAll(anyOp);
    return all;
  }
}
