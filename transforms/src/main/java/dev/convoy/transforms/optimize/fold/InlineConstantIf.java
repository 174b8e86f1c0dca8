package dev.convoy.transforms.optimize.fold;

import dev.convoy.ir.graph.Graph;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An {@code If} whose condition is a constant is the branch it takes: the branch's initializers
 * and nodes move into the enclosing graph in front of the If, and the If's outputs become the
 * branch's outputs. Values the branch captures from enclosing scopes stay as they are (they are
 * visible where the If was). A branch that itself owns subgraphs stays (a subgraph cannot move
 * between graphs), and so does an If whose graph output could not keep its name.
 */
public final class InlineConstantIf implements MatchingRule<Graph> {
  public static final String NAME = "inline-constant-if";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("If");
  }

  /** The branch to inline, or why the If stays. */
  @Override
  public Match<Graph> match(Node n, Rewriter rw) {
    Graph branch = taken(n);
    if (branch == null) {
      return Match.fail("the condition is not a constant scalar");
    }
    if (branch.outputs().size() != n.outputCount()) {
      return Match.fail("the taken branch has " + branch.outputs().size() + " outputs, the If "
          + n.outputCount());
    }
    for (Node b : branch.nodes()) {
      if (!b.subgraphs().isEmpty()) {
        return Match.fail("the taken branch has nested subgraphs");
      }
    }
    Set<Value> seen = new HashSet<>();
    for (int k = 0; k < n.outputCount(); k++) {
      Value out = n.output(k);
      Value bo = branch.outputs().get(k);
      if (out == null || !out.isGraphOutput()) {
        continue;
      }
      // A branch node's output becomes a node output of this graph, which can take the name;
      // a branch initializer, input or captured value must pass the usual check.
      boolean moves = bo.owner() == branch && bo.producer() != null;
      if (!seen.add(bo) || (!moves && (bo.owner() == branch || !rw.canReplace(out, bo)))) {
        return Match.fail("graph output " + out.name() + " cannot take the branch's value");
      }
    }
    return Match.of(branch);
  }

  /** The branch a constant condition selects, or null. */
  private static Graph taken(Node n) {
    Tensor cond = n.input(0) == null ? null : n.input(0).constant();
    if (cond == null || cond.numElements() != 1) {
      return null;
    }
    boolean value = cond.toDoubleArray()[0] != 0;
    var attr = n.attribute(value ? "then_branch" : "else_branch");
    return attr.isPresent() && attr.get() instanceof dev.convoy.ir.graph.Attribute.GraphAttr g
        ? g.value()
        : null;
  }

  @Override
  public void apply(Node n, Graph branch, Rewriter rw) {
    Map<Value, Value> moved = new IdentityHashMap<>();
    for (Value init : branch.initializers()) {
      moved.put(init, rw.constant(n.graph(), init.constant(), init.name()));
    }
    for (Node b : branch.nodes()) {
      List<Value> ins = new ArrayList<>();
      for (Value v : b.inputs()) {
        ins.add(v == null ? null : moved.getOrDefault(v, v));
      }
      Node copy = rw.copyBefore(n, b, ins);
      for (int k = 0; k < b.outputCount(); k++) {
        if (b.output(k) != null) {
          moved.put(b.output(k), copy.output(k));
        }
      }
    }
    List<Value> outs = new ArrayList<>();
    for (Value bo : branch.outputs()) {
      outs.add(moved.getOrDefault(bo, bo));
    }
    rw.replaceNode(n, outs);
  }
}
