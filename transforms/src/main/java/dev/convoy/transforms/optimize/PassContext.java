package dev.convoy.transforms.optimize;

import dev.convoy.ir.graph.Graph;
import java.util.ArrayList;
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

  public boolean converged() {
    return converged;
  }
}
