package dev.convoy.transforms.optimize.move;

import dev.convoy.ir.graph.Node;
import dev.convoy.ir.graph.Shape;
import dev.convoy.ir.graph.Tensor;
import dev.convoy.ir.graph.Value;
import dev.convoy.transforms.optimize.ConstantConcat;
import dev.convoy.transforms.optimize.Facts;
import dev.convoy.transforms.optimize.Match;
import dev.convoy.transforms.optimize.MatchingRule;
import dev.convoy.transforms.optimize.Pattern;
import dev.convoy.transforms.optimize.Rewriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * {@code Concat(f(a_1, s), ..., f(a_n, s))} is {@code f(Concat(a_1, ..., a_n), s)} for an
 * elementwise {@code f} whose other operands {@code s} are one scalar shared by all: each element
 * of the result is {@code f} of the same element. One {@code f} for n; where every {@code a_i} is
 * a constant, the joined operand is a constant too (the per-projection scales {@code x_scale *
 * w_scale_i} that {@code sink-split} joins after {@code fuse-sibling-matmuls}).
 */
public final class HoistConcat implements MatchingRule<HoistConcat.Found> {
  public static final String NAME = "hoist-concat";

  /** The producers in Concat order and the operand each reads its part at. */
  public record Found(List<Node> producers, int part) {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Pattern pattern() {
    return Pattern.ops("Concat");
  }

  @Override
  public Match<Found> match(Node concat, Rewriter rw) {
    List<Node> producers = new ArrayList<>();
    for (Value in : concat.inputs()) {
      Node p = in == null ? null : in.producer();
      if (p == null || p.graph() != concat.graph() || producers.contains(p)) {
        return Match.fail("a part of " + concat.name() + " is not an op output of its graph");
      }
      if (in.isGraphOutput()) {
        return Match.fail(in.name() + " is a graph output");
      }
      if (in.uses().size() != 1) {
        return Match.fail(in.name() + " has another consumer");
      }
      producers.add(p);
    }
    Node first = producers.get(0);
    if (producers.size() < 2 || !first.domain().isEmpty()
        || !ElementwiseMoves.isElementwise(first.opType()) || first.outputCount() != 1) {
      return Match.fail("the parts of " + concat.name() + " are not made by an elementwise op");
    }
    int part = partOperand(first);
    if (part < 0) {
      return Match.fail(first.name() + " has no operand of its output's shape");
    }
    int rank = Facts.rank(first.output(0));
    for (Node p : producers) {
      if (!p.opType().equals(first.opType()) || !p.domain().isEmpty()
          || !p.attributes().equals(first.attributes()) || p.inputCount() != first.inputCount()
          || partOperand(p) != part) {
        return Match.fail(p.name() + " is not the same op as " + first.name());
      }
      for (int j = 0; j < p.inputCount(); j++) {
        Value s = p.input(j);
        if (j != part && (s != first.input(j) || (s != null && !scalar(s, rank)))) {
          return Match.fail(p.name() + " reads another operand " + j + " than " + first.name());
        }
      }
      if (Facts.dtype(p.input(part)) != Facts.dtype(first.input(part))) {
        return Match.fail(p.name() + " reads another type than " + first.name());
      }
    }
    return Match.of(new Found(producers, part));
  }

  /** The one operand whose shape is the output's (the others broadcast to it), or -1. */
  private static int partOperand(Node p) {
    Shape out = Facts.shape(p.output(0));
    int found = -1;
    for (int j = 0; j < p.inputCount(); j++) {
      Value v = p.input(j);
      if (v != null && out != null && out.hasRank() && Objects.equals(Facts.shape(v), out)) {
        if (found >= 0) {
          return -1;
        }
        found = j;
      }
    }
    return found;
  }

  private static boolean scalar(Value v, int rank) {
    long[] dims = Facts.staticDims(v);
    return dims != null && dims.length <= rank && Tensor.numElements(dims) == 1;
  }

  @Override
  public void apply(Node concat, Found m, Rewriter rw) {
    List<Value> parts = m.producers().stream().map(p -> p.input(m.part())).toList();
    Value joined;
    Tensor constant = parts.stream().allMatch(v -> v.constant() != null)
        ? ConstantConcat.of(parts.stream().map(Value::constant).toList(),
            (int) normalizedAxis(concat))
        : null;
    if (constant != null) {
      joined = rw.constant(concat.graph(), constant, parts.get(0).name() + "_joined");
    } else {
      Node c = rw.copyBefore(concat, concat, parts);
      rw.setType(c.output(0), null);
      rw.inferTypes(c);
      joined = c.output(0);
    }
    Node first = m.producers().get(0);
    List<Value> inputs = new ArrayList<>(first.inputs());
    inputs.set(m.part(), joined);
    Node op = rw.copyBefore(concat, first, inputs);
    rw.setType(op.output(0), concat.output(0).type());
    rw.replace(concat.output(0), op.output(0));
    rw.erase(concat);
    m.producers().forEach(rw::erase);
  }

  private static long normalizedAxis(Node concat) {
    long axis = concat.intAttr("axis", 0);
    return axis < 0 ? axis + Facts.rank(concat.output(0)) : axis;
  }
}
