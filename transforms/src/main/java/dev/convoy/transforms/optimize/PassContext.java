package dev.convoy.transforms.optimize;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Value;
import dev.convoy.ir.graph.ValueType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a pass run shares with the optimizer: the options, the report notes, the count of changes
 * per rule (or pass) of the pass that is running, and in verify mode the hook that checks the
 * graph after every rewrite so that a broken rule is named.
 */
public final class PassContext {
  /** Checks a graph after one rewrite by a named rule; throws when the graph is broken. */
  @FunctionalInterface
  public interface RewriteCheck {
    void afterRewrite(Graph graph, String rule);
  }

  private final OptimizeOptions options;
  private final Set<String> notes = new LinkedHashSet<>();
  private final Map<String, Integer> rewrites = new LinkedHashMap<>();
  private final RewriteCheck check;
  private final Set<Graph> unreliable = Collections.newSetFromMap(new IdentityHashMap<>());
  private final Map<Value, ValueType> declaredInputs = new LinkedHashMap<>();
  private String currentRule = "";
  private boolean converged = true;

  public PassContext(OptimizeOptions options, RewriteCheck check) {
    this.options = options;
    this.check = check;
  }

  public OptimizeOptions options() {
    return options;
  }

  /** Adds a note for the report; repeated notes are kept once. */
  public void note(String message) {
    notes.add(message);
  }

  public List<String> notes() {
    return new ArrayList<>(notes);
  }

  /** Counts {@code n} changes under {@code name} (a rule or pass name). */
  public void count(String name, int n) {
    if (n > 0) {
      rewrites.merge(name, n, Integer::sum);
    }
  }

  /** The changes counted since the last call, cleared. */
  Map<String, Integer> takeRewrites() {
    Map<String, Integer> out = new LinkedHashMap<>(rewrites);
    rewrites.clear();
    return out;
  }

  String currentRule() {
    return currentRule;
  }

  void setCurrentRule(String rule) {
    this.currentRule = rule;
  }

  /** Runs the verify-mode check after a rewrite, when one is installed. */
  void checkRewrite(Graph top, String rule) {
    if (check != null) {
      check.afterRewrite(top, rule);
    }
  }

  /** Records that a rule set or a repeat block hit its cap without settling. */
  public void markNotConverged(String what) {
    converged = false;
    note(what);
  }

  /**
   * Marks a subgraph whose shapes failed to infer under the given facts: its types say nothing
   * reliable, so no rule rewrites inside it (or inside graphs nested in it) for the rest of the run.
   */
  public void markUninferred(Graph subgraph) {
    unreliable.add(subgraph);
  }

  /** Whether {@code g} is, or is nested in, a graph marked by {@link #markUninferred}. */
  public boolean isUninferred(Graph g) {
    for (Graph x = g; x != null && !unreliable.isEmpty(); x = x.parentGraph()) {
      if (unreliable.contains(x)) {
        return true;
      }
    }
    return false;
  }

  /** Records the type a graph input was declared with before {@code --input-shape} fixed it. */
  public void rememberDeclared(Value input, ValueType declared) {
    declaredInputs.putIfAbsent(input, declared);
  }

  /**
   * When a subgraph could not infer under the fixed input shapes, gives the fixed inputs their
   * declared types back: ONNX Runtime infers every branch when it loads a model and refuses one
   * that cannot infer under static input dims, even a branch those inputs never take. The graph
   * keeps what was folded from the given shapes, so it is meant for those shapes only.
   */
  void restoreDeclaredInputsIfUninferred() {
    if (unreliable.isEmpty() || declaredInputs.isEmpty()) {
      return;
    }
    declaredInputs.forEach(new Rewriter(this)::setType);
    note("kept the declared shapes of inputs " + declaredInputs.keySet().stream()
        .map(v -> "'" + v.name() + "'").toList() + " in the written model: a branch cannot infer"
        + " under the given shapes, and ONNX Runtime refuses such a model; the result is still"
        + " optimized for the given shapes only");
  }

  public boolean converged() {
    return converged;
  }
}
