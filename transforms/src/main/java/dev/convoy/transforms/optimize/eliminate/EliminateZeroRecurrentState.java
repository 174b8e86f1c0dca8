package dev.convoy.transforms.optimize.eliminate;

import dev.convoy.ir.graph.Attribute;
import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * An {@code LSTM}, {@code GRU} or {@code RNN} whose initial hidden (or cell) state is all
 * {@code +0.0} computes what it computes with that input omitted: the spec defines a missing
 * initial state as zeros. Exporters write the zeros as {@code ConstantOfShape} over a shape
 * computed from the input's batch dim ({@code Shape -> Gather -> Unsqueeze -> Concat}), often
 * split per layer; once no recurrent op reads it, that whole subgraph is dead.
 *
 * <p>Zeros are proven, never assumed: a constant or {@code ConstantOfShape} whose every element is
 * {@code +0.0} ({@code -0.0} is not dropped: a cell state of {@code -0.0} can leave a {@code -0.0}
 * where the omitted state gives {@code +0.0}), seen through ops that only select, copy or
 * rearrange elements of their data input.
 */
public final class EliminateZeroRecurrentState implements MatchingRule<List<Integer>> {
  public static final String NAME = "eliminate-zero-recurrent-state";

  /** Ops whose every output element is an element of input 0 (the rest are indices, shapes). */
  private static final Set<String> SELECTING = Set.of(
      "Identity", "Split", "Slice", "Reshape", "Squeeze", "Unsqueeze", "Transpose", "Flatten",
      "Expand", "Tile", "Gather");
  private static final int MAX_DEPTH = 8;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("LSTM", "GRU", "RNN");
  }

  @Override
  public Match<List<Integer>> match(Node n, Rewriter rw) {
    if (!n.domain().isEmpty()) {
      return Match.fail(n.opType() + " is not in the default domain");
    }
    List<Integer> states = new ArrayList<>(List.of(5));
    if (n.is("LSTM")) {
      states.add(6);
    }
    List<Integer> zero = new ArrayList<>();
    for (int i : states) {
      if (n.input(i) != null && allPositiveZero(n.input(i), 0)) {
        zero.add(i);
      }
    }
    return zero.isEmpty()
        ? Match.fail("no initial state of " + n.name() + " is provably all +0.0")
        : Match.of(zero);
  }

  static boolean allPositiveZero(Value v, int depth) {
    if (v.constant() != null) {
      return Facts.isAll(v.constant(), 0.0);
    }
    Node p = v.producer();
    if (p == null || !p.domain().isEmpty() || depth > MAX_DEPTH) {
      return false;
    }
    if (p.is("ConstantOfShape")) {
      var value = p.attribute("value");
      return value.isEmpty()
          || value.get() instanceof Attribute.TensorAttr t && Facts.isAll(t.value(), 0.0);
    }
    if (p.is("Concat")) {
      for (Value in : p.inputs()) {
        if (in == null || !allPositiveZero(in, depth + 1)) {
          return false;
        }
      }
      return true;
    }
    return SELECTING.contains(p.opType()) && p.input(0) != null
        && allPositiveZero(p.input(0), depth + 1);
  }

  @Override
  public void apply(Node n, List<Integer> zero, Rewriter rw) {
    for (int i : zero) {
      rw.setInput(n, i, null);
    }
  }
}
